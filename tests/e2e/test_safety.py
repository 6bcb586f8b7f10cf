"""What must never happen, on both gateways: touching pinned or unmanaged keys, leaking a
secret, calling the gateway with bad input, or failing unclearly."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli, standard_estate, write_desired


def _token_of(gw: Gateway, alias: str) -> str:
    return str(gw.live_keys()[alias]["token"])


def test_pinned_and_unmanaged_keys_stay_byte_identical(gateway: Gateway, desired: Path,
                                                       tmp_path: Path) -> None:
    watched = [_token_of(gateway, alias)
               for alias in (gateway.pinned_alias, gateway.unmanaged_alias)]
    before = [gateway.key_info(t) for t in watched]

    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--show-untouched")
    assert f"pinned key (never changed): {gateway.pinned_alias}" in plan.out
    assert f"unmanaged key (not created by this tool; left alone): {gateway.unmanaged_alias}" \
        in plan.out
    for args in (("apply",), ("apply",)):  # create, then a no-op run
        result = run_cli(gateway, tmp_path, *args, "--desired", "desired", "--auto-approve",
                         "--secrets-out", "s.jsonl")
        assert result.code == 0, result.both
    estate = standard_estate(gateway)
    estate["agents"] = []
    estate["settings"]["removed_agents"] = "delete"
    write_desired(desired, estate)
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert result.code == 0, result.both
    assert [gateway.key_info(t) for t in watched] == before


def test_desired_that_would_change_a_pinned_key_is_invalid(gateway: Gateway, desired: Path,
                                                            tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"][0]["name"] = gateway.pinned_alias
    write_desired(desired, estate)
    result = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert result.code == 1
    assert f"{gateway.pinned_alias!r} is a pinned key" in result.err
    assert f"desired/agents/{gateway.pinned_alias}.yaml:" in result.err
    assert gateway.live_keys()[gateway.pinned_alias]["key_alias"] == gateway.pinned_alias


def test_alias_held_by_unmanaged_key_stops_the_plan(gateway: Gateway, desired: Path,
                                                     tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"][1]["name"] = gateway.unmanaged_alias
    write_desired(desired, estate)
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                     "--secrets-out", "s.jsonl")
    assert result.code == 1
    assert f"agent {gateway.unmanaged_alias!r}: the alias is taken" in result.err
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}
    assert gateway.models() == {}


def test_wrong_admin_key_is_one_clear_line(gateway: Gateway, desired: Path,
                                          tmp_path: Path) -> None:
    result = run_cli(gateway, tmp_path, "plan", "--desired", "desired",
                     admin_key="sk-not-the-admin-key-000")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: GET /key/list answered 401")
    assert "Traceback" not in result.err and "sk-not-the-admin-key-000" not in result.err


def test_unreachable_gateway_is_one_clear_line(desired: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(None, tmp_path, "plan", "--desired", "desired",
                     base_url=f"http://127.0.0.1:{port}", admin_key="sk-whatever-000000")
    assert result.code == 1
    *waits, last = result.err.strip().splitlines()
    assert last.startswith(f"error: cannot reach the gateway at http://127.0.0.1:{port}")
    # Not seconds of silence first: each wait says so, once per attempt (issue 19, item 11).
    assert [w.split(" in ")[0] for w in waits] == [f"retrying ({n}/6)" for n in range(2, 7)]
    assert "Traceback" not in result.err


def test_bad_input_names_file_line_field_and_calls_nothing(gateway: Gateway, desired: Path,
                                                            tmp_path: Path) -> None:
    agent_file = desired / "agents" / f"{gateway.name('妮可')}.yaml"
    agent_file.write_text(agent_file.read_text(encoding="utf-8").replace(
        "max_budget: 20", "max_budget: -5\n  colour: blue"), encoding="utf-8")
    # An unreachable address proves no call was attempted: the desired/ error comes first.
    result = run_cli(None, tmp_path, "plan", "--desired", "desired",
                     base_url="http://127.0.0.1:9", admin_key="sk-whatever-000000")
    assert result.code == 1
    name = f"desired/agents/{gateway.name('妮可')}.yaml"
    assert f"{name}:6: agents[{gateway.name('妮可')}].max_budget: Input should be greater " \
        "than or equal to 0" in result.err
    assert f"{name}:7: agents[{gateway.name('妮可')}].colour: unknown field" in result.err
    assert "cannot reach" not in result.err


def test_apply_refuses_to_create_keys_without_a_sink(gateway: Gateway, desired: Path,
                                                     tmp_path: Path) -> None:
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert result.code == 1
    assert "choose --secrets-out FILE or --secrets-cmd CMD" in result.err
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}
    assert gateway.models() == {}


def test_apply_asks_for_yes_and_refuses_without_a_terminal(gateway: Gateway, desired: Path,
                                                          tmp_path: Path) -> None:
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired",
                     "--secrets-out", "s.jsonl")
    assert result.code == 1
    assert "apply needs a terminal to confirm" in result.err
    assert gateway.models() == {}
