"""Issue cases 2, 5 and 6 end to end on both gateways.

2: an internal user's key carrying this scope's marker and a fake last-applied record is a
claim, never the agent's key: plan and apply stop naming it, adopt cannot take it, a
`removed_agents: delete` never deletes it; it stays byte-identical.
5: a secrets file whose last record was torn is repaired before the next record.
6: a loosened rail is itself a large change.
The conftest checks that the pinned and the unmanaged key are byte-identical afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, apply_and_settle, run_cli, standard_estate, write_desired


def _plant(gw: Gateway, base: str) -> dict[str, Any]:
    """An internal user's own key that claims to be this scope's managed key for `base`."""
    evil = gw.internal_user()
    return dict(gw.as_user(evil, "POST", "/key/generate", json={
        "key_alias": gw.name(base), "models": [gw.name("MiniMax-M2.5")],
        "metadata": {"managed_by": f"reconciler/{gw.prefix}", "agent": gw.name(base),
                     "owner": "sileya", "reconciler_applied": {"digest": "forged"}}}))


def _claim(gw: Gateway, planted: dict[str, Any]) -> str:
    return (f"{planted['key_name']}, claims reconciler/{gw.prefix}, created by "
            f"'{gw.name('evil')}', not an admin: never trusted")


@pytest.mark.parametrize("adopt", [False, True])
def test_a_planted_key_is_never_taken_for_the_agents_own(
    gateway: Gateway, tmp_path: Path, adopt: bool
) -> None:
    planted = _plant(gateway, "victim")
    before = gateway.key_info(planted["token"])
    estate = standard_estate(gateway)
    estate["agents"].append(agent(gateway, "victim", ["MiniMax-M2.5"], adopt=adopt))
    write_desired(tmp_path / "desired", estate)
    want = (f"error: no plan is possible:\n  agent '{gateway.name('victim')}': the alias is "
            "held by a key that claims to be the tool's but is not proven so "
            f"({_claim(gateway, planted)}); it is never taken over: delete that key "
            "by hand (it may be a planted key whose secret someone else knows), or rename the "
            "agent\n")
    planned = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert (planned.code, planned.err) == (1, want)
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert (applied.code, applied.err) == (1, want)
    assert not (tmp_path / "s.jsonl").exists()  # no key made, no secret handed out
    assert gateway.key_info(planted["token"]) == before
    assert [k["token"] for k in gateway.keys_by_alias(gateway.name("victim"))] \
        == [planted["token"]]


def test_a_planted_key_without_an_agent_is_reported_never_deleted(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    planted = _plant(gateway, "ghost")
    before = gateway.key_info(planted["token"])
    estate = standard_estate(gateway)
    estate["settings"]["removed_agents"] = "delete"
    write_desired(desired, estate)
    warning = (f"! warning: key '{gateway.name('ghost')}' ({planted['key_name']}) claims "
               f"reconciler/{gateway.prefix}, created by '{gateway.name('evil')}', not an "
               "admin: never trusted; left alone: delete it by hand if nobody should hold it")
    apply_and_settle(gateway, tmp_path)
    planned = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--show-untouched")
    assert planned.code == 0 and warning in planned.out, planned.both
    assert "key claiming the tool's marker, not proven" in planned.out
    data = json.loads(run_cli(gateway, tmp_path, "plan", "--desired", "desired",
                              "--format", "json").out)
    assert {"kind": "claimed_key", "name": gateway.name("ghost"),
            "detail": f"{planted['key_name']} (claims reconciler/{gateway.prefix}, created by "
                      f"'{gateway.name('evil')}', not an admin: never trusted)"} \
        in data["untouched"]
    assert gateway.key_info(planted["token"]) == before


def test_a_torn_secrets_file_is_repaired_before_the_next_record(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    sink = tmp_path / "s.jsonl"
    sink.write_text('{"agent": "earlier", "key": "sk-...", "key_sha256": "ab"}\n'
                    '{"agent": "cut-off", "key": "sk-partial', encoding="utf-8")
    sink.chmod(0o600)
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    assert ("note: secrets file s.jsonl: removed a partial last record (39 bytes, a write cut "
            "off before its key was created); no key holds that secret\n") in applied.err
    records = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    names = [gateway.name("李狗蛋"), gateway.name("妮可")]
    # The earlier record kept, then one whole record per key (created in parallel: any order).
    assert records[0]["agent"] == "earlier"
    assert sorted(r["agent"] for r in records[1:]) == sorted(names)
    live = gateway.live_keys()
    assert {r["agent"]: r["key_sha256"] for r in records[1:]} \
        == {n: live[n]["token"] for n in names}


def test_a_loosened_rail_needs_an_approval(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    apply_and_settle(gateway, tmp_path)
    estate = standard_estate(gateway)
    estate["agents"] = []
    estate["settings"].update(removed_agents="delete", safety={"min_existing": 99999999})
    write_desired(desired, estate)
    planned = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert planned.code == 0
    assert ("! SAFETY RAILS LOOSENED in desired/ (min_existing 99999999 (default 10)): that is "
            "itself a large change; apply refuses without --force") in planned.out, planned.out
    refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert refused.code == 1
    assert refused.err.endswith(
        "the safety rails are loosened in desired/ (min_existing 99999999 (default 10)), which "
        "is itself a large change: declare settings.safety.approve_large_change to approve "
        "it; --force required\n"), refused.err
    assert set(gateway.live_keys()) >= {gateway.name("李狗蛋"), gateway.name("妮可")}
    estate["settings"]["safety"]["approve_large_change"] = {
        "reason": "retire both agents", "max_changes": 2}
    write_desired(desired, estate)
    approved = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert approved.code == 0, approved.both
    assert not {gateway.name("李狗蛋"), gateway.name("妮可")} & set(gateway.live_keys())
