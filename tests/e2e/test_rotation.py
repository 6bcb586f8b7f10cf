"""Declared key rotation on both gateways, with real traffic through the agent's keys.

Bumping `rotation` gives the agent a new key (secret in the sink first) that starts from the
old key's spend; the old key keeps working for `rotation_grace`, then the gateway refuses it
(it expired) and the next apply blocks it. Usage still counts the old key's traffic for the
agent. The pinned and unmanaged keys are checked unchanged by the gateway fixture.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, apply_and_settle, read_secrets, run_cli, write_desired
from tests.e2e.test_fault_matrix import _start
from tests.e2e.test_observe import COST, PRICE, _chat
from tests.upstream import FakeUpstream

GRACE = 20  # seconds the rotated-out key keeps working
SETTLE_SECONDS = 90  # the real proxy writes spend in batches, 10-15 s late


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def _estate(gw: Gateway, good: str, **fields: Any) -> dict[str, Any]:
    return {
        "settings": {"scope": gw.prefix},
        "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [good],
        "agents": [agent(gw, "rotor", ["Good"], max_budget=1, **fields)],
    }


def _applied(gw: Gateway, cwd: Path) -> Path:
    """desired/ with one agent (no rotation yet), applied."""
    desired = write_desired(cwd / "desired", _estate(gw, gw.name("Good")))
    apply_and_settle(gw, cwd)
    return desired


def _settled_spend(gw: Gateway, token: str, want: float) -> float:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        spend = float(gw.key_info(token).get("spend") or 0.0)
        if spend == pytest.approx(want, rel=1e-9) or time.monotonic() > deadline:
            return spend
        time.sleep(2)


def _usage_of(gw: Gateway, cwd: Path, name: str, spend: float) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result = run_cli(gw, cwd, "usage", "--desired", "desired", "--format", "json")
        assert result.code in (0, 3), result.both
        row = next(k for k in json.loads(result.out)["keys"] if k["name"] == name)
        if row["spend"] >= spend - 1e-12 or time.monotonic() > deadline:
            return row
        time.sleep(3)


def test_rotation_hands_over_then_blocks_the_old_key(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream
) -> None:
    gw = gateway
    good = gw.name("Good")
    gw.call("POST", "/model/new", json={
        "model_name": good, "model_info": {"id": gw.name("good")},
        "litellm_params": {"model": "openai/fake", "api_base": upstream.ok_base,
                           "api_key": "fake-upstream-key", **PRICE}})
    desired = write_desired(tmp_path / "desired", _estate(gw, good))
    apply_and_settle(gw, tmp_path)
    rotor = gw.name("rotor")
    [old] = [s for s in read_secrets(tmp_path / "s.jsonl") if s["agent"] == rotor]
    assert _chat(gw, old["key"], good, 2) == [200, 200]
    old_token = gw.live_keys()[rotor]["token"]
    assert _settled_spend(gw, old_token, 2 * COST) == pytest.approx(2 * COST, rel=1e-9)

    # The reviewed rotation: the old key moves out of the alias, a successor takes it.
    write_desired(desired, _estate(gw, good, rotation=1, rotation_grace=f"{GRACE}s"))
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert f"⟳ rotate key {rotor} (" in plan.out, plan.out
    assert f'key_alias: "{rotor}" → "{rotor}#rotation-0"' in plan.out
    assert "1 to add, 0 to change, 0 to destroy, 1 to rotate." in plan.out
    apply_and_settle(gw, tmp_path)
    rotated_at = time.monotonic()
    new = [s for s in read_secrets(tmp_path / "s.jsonl") if s["agent"] == rotor][-1]
    assert new["key"] != old["key"]

    live = gw.live_keys()
    assert live[rotor]["token"] != old_token
    assert live[rotor]["metadata"]["reconciler_rotation"] == 1
    assert float(live[rotor]["spend"]) == pytest.approx(2 * COST, rel=1e-9)  # carried over
    moved = live[f"{rotor}#rotation-0"]
    assert moved["token"] == old_token and moved["expires"] is not None
    assert moved["blocked"] is not True

    # The grace period: both keys work, and the plan lists the old one as rotating out.
    assert _chat(gw, new["key"], good, 1) == [200]
    assert _chat(gw, old["key"], good, 1) == [200]
    listed = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--show-untouched")
    assert "rotated-out key in its grace period" in listed.out, listed.out

    # After it: the gateway refuses the old key, and the next apply blocks it.
    time.sleep(max(0.0, rotated_at + GRACE + 1 - time.monotonic()))
    assert _chat(gw, old["key"], good, 1) == [401]
    after = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert f"⊘ block key {rotor}#rotation-0" in after.out, after.out
    assert "its grace period is over" in after.out
    apply_and_settle(gw, tmp_path)
    assert gw.live_keys()[f"{rotor}#rotation-0"]["blocked"] is True
    assert _chat(gw, new["key"], good, 1) == [200]

    # The agent's usage counts both keys' traffic: 3 answered on the old key, 2 on the new.
    row = _usage_of(gw, tmp_path, rotor, 5 * COST)
    assert row["spend"] == pytest.approx(5 * COST, rel=1e-9)
    assert row["rotated_keys"] == [moved["key_name"]]
    assert row["key_sha256"] == live[rotor]["token"]
    # The budget share counts the old key's grace-period call too (issue 19, item 8): the new
    # key's counter holds the 2 carried over and its own 2; the 1 in the grace period is added.
    deadline = time.monotonic() + SETTLE_SECONDS
    while (row["budget_spend"] or 0) < 5 * COST - 1e-12 and time.monotonic() < deadline:
        time.sleep(3)
        row = _usage_of(gw, tmp_path, rotor, 5 * COST)
    assert row["budget_spend"] == pytest.approx(5 * COST, rel=1e-6)


def test_a_rotation_stopped_after_the_old_key_moved_out_converges(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    desired = _applied(gw, tmp_path)
    rotor = gw.name("rotor")
    old_token = gw.live_keys()[rotor]["token"]
    write_desired(desired, _estate(gw, gw.name("Good"), rotation=7))
    with FaultyProxy(gw.base_url) as proxy:
        proxy.fail("POST", "/key/generate", status=400, body_contains=gw.prefix)
        stopped = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                          "--secrets-out", "s.jsonl", base_url=proxy.base_url)
    assert stopped.code == 1, stopped.both
    assert "apply stopped: 1 done, 1 failed, 0 not attempted" in stopped.err
    live = gw.live_keys()
    assert rotor not in live and live[f"{rotor}#rotation-0"]["token"] == old_token

    # The next plan creates only the successor (the old key is already out); then it is calm.
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert f"+ create key {rotor}" in plan.out and "rotate key" not in plan.out, plan.out
    apply_and_settle(gw, tmp_path)
    live = gw.live_keys()
    assert live[rotor]["metadata"]["reconciler_rotation"] == 7
    held = {s["key_sha256"] for s in read_secrets(tmp_path / "s.jsonl")}
    assert {live[rotor]["token"], old_token} <= held


def test_an_incident_block_also_stops_the_key_in_its_grace_period(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    write_desired(_applied(gw, tmp_path), _estate(gw, gw.name("Good"), rotation=1))
    apply_and_settle(gw, tmp_path)
    rotor = gw.name("rotor")
    assert gw.live_keys()[f"{rotor}#rotation-0"]["blocked"] is not True

    blocked = run_cli(gw, tmp_path, "block", rotor, "--desired", "desired",
                      "--reason", "runaway spend")
    assert blocked.code == 0, blocked.both
    assert "and its rotated-out key(s) sk-..." in blocked.out
    live = gw.live_keys()
    assert live[rotor]["blocked"] is True and live[f"{rotor}#rotation-0"]["blocked"] is True
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 0 and "held:" in plan.out, plan.both

    # Lifting the hold gives the agent its current key back, never the rotated-out one.
    assert run_cli(gw, tmp_path, "unblock", rotor, "--desired", "desired").code == 0
    live = gw.live_keys()
    assert live[rotor]["blocked"] is not True and live[f"{rotor}#rotation-0"]["blocked"] is True
    after = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert after.code == 0, after.both


def test_two_applies_of_one_rotation_rotate_once(gateway: Gateway, tmp_path: Path) -> None:
    gw = gateway
    write_desired(_applied(gw, tmp_path), _estate(gw, gw.name("Good"), rotation=1))
    with FaultyProxy(gw.base_url, latency=0.1) as slow:  # so that the two overlap
        runs = [_start(gw, tmp_path, sink=("--secrets-out", f"s{n}.jsonl"),
                       base_url=slow.base_url) for n in (1, 2)]
        outs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    said = outs[0][0] + outs[1][0]
    assert said.count("rotate key") == 1 and "No changes." in said, said
    rotor = gw.name("rotor")
    aliases = sorted(k["key_alias"] for k in gw.namespace_keys() if "rotor" in k["key_alias"])
    assert aliases == [rotor, f"{rotor}#rotation-0"]
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 0, plan.both
