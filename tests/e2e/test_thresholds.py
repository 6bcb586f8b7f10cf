"""A plan that changes a large share of the estate at once needs --force."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, run_cli, standard_estate, write_desired


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
