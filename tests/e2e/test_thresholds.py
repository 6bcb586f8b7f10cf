"""A plan that changes a large share of the estate at once needs --force."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, model, run_cli, standard_estate, write_desired


def test_mass_block_needs_force(gateway: Gateway, tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    estate = standard_estate(gateway)
    estate["agents"] = [agent(gateway, f"agent-{i:02d}", ["MiniMax-M2.5"]) for i in range(10)]
    write_desired(desired, estate)
    first = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                    "--secrets-out", "s.jsonl")
    assert first.code == 0, first.both

    estate["agents"] = estate["agents"][:6]  # 4 of 10 managed keys blocked: 40 %
    write_desired(desired, estate)
    refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert refused.code == 1
    assert refused.err.strip() == (
        "error: too many key blocks and deletes: 40% is over 30% (4/10 managed keys); "
        "--force required")
    assert all(k.get("blocked") is not True for k in gateway.live_keys().values())

    forced = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                     "--force")
    assert forced.code == 0, forced.both
    blocked = sorted(a for a, k in gateway.live_keys().items() if k.get("blocked") is True)
    assert blocked == [gateway.name(f"agent-{i:02d}") for i in range(6, 10)]


def test_many_new_models_do_not_dilute_removing_every_agent(gateway: Gateway,
                                                            tmp_path: Path) -> None:
    # The hardening issue's case 7: 120 dummy models first (creates are never limited), then
    # every one of 50 agents removed. Counted together that is 50/172 = 29 %, under 30 %;
    # counted per kind it is 50 of 50 managed keys.
    desired = tmp_path / "desired"
    estate = standard_estate(gateway)
    estate["agents"] = [agent(gateway, f"agent-{i:02d}", ["MiniMax-M2.5"]) for i in range(50)]
    write_desired(desired, estate)
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                   "--secrets-out", "s.jsonl").code == 0
    estate["models"] += [model(gateway, f"dummy-{i:03d}", f"Dummy-{i:03d}") for i in range(120)]
    write_desired(desired, estate)
    diluted = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert diluted.code == 0, diluted.both
    assert len(gateway.models()) == 122

    estate["agents"] = []
    write_desired(desired, estate)
    keys_before = gateway.live_keys()
    refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert refused.code == 1
    assert refused.err.strip() == (
        "error: too many key blocks and deletes: 100% is over 30% (50/50 managed keys); "
        "--force required")
    assert gateway.live_keys() == keys_before
    assert len(gateway.models()) == 122
