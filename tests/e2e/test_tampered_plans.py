"""A saved plan runs only if it is the plan its desired/ and the live gateway give now.

Each case edits a `plan --out` file the way the hardening issue found it could be edited
(recomputing its changes_digest, as anyone can) and applies it with --auto-approve: apply must
exit 1 with one clear line before any write. The fixture checks the pinned and unmanaged keys
are byte-identical afterwards; each test also checks the managed keys and models are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.engine.plan import digest_of
from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, agent, read_json, run_cli, standard_estate, write_desired

Tamper = Callable[[Gateway], dict[str, Any]]


def _applied_with_a_pending_update(gw: Gateway, tmp_path: Path) -> dict[str, Any]:
    """The standard estate applied, then 妮可's budget raised in desired/ (one update)."""
    estate = standard_estate(gw)
    write_desired(tmp_path / "desired", estate)
    first = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                    "--secrets-out", "s.jsonl")
    assert first.code == 0, first.both
    (tmp_path / "apply-report.json").unlink()  # a refused apply must not write a new one
    estate["agents"][1]["max_budget"] = 25
    write_desired(tmp_path / "desired", estate)
    return estate


def _save_plan(gw: Gateway, tmp_path: Path) -> dict[str, Any]:
    made = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--out", "plan.json")
    assert made.code == 0, made.both
    return dict(read_json(tmp_path / "plan.json"))


def _write_plan(tmp_path: Path, data: dict[str, Any], *, redigest: bool = True) -> None:
    if redigest:
        data["changes_digest"] = digest_of(data["changes"])
    (tmp_path / "plan.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _snapshot(gw: Gateway) -> tuple[dict[str, Any], dict[str, Any]]:
    return gw.live_keys(), gw.models()


def _apply_saved(gw: Gateway, tmp_path: Path, *extra: str) -> Result:
    return run_cli(gw, tmp_path, "apply", "plan.json", "--desired", "desired", "--auto-approve",
                   "--secrets-out", "s.jsonl", *extra)


def _token(gw: Gateway, alias: str) -> str:
    return str(gw.live_keys()[alias]["token"])


def _change(action: str, target: str, **fields: Any) -> dict[str, Any]:
    """A well-formed saved change, as an attacker who knows the format would write it."""
    verb, kind = action.split("_")
    return {"address": f"{kind}.{target}", "action": action, "kind": kind, "verb": verb,
            "target": target, "before": {}, "after": {}, **fields}


def _key_change(action: str, alias: str, **fields: Any) -> Tamper:
    def make(gw: Gateway) -> dict[str, Any]:
        name = getattr(gw, alias) if alias.endswith("_alias") else gw.name(alias)
        return _change(action, name, ref=_token(gw, name), **fields)
    return make


def _create_with_chosen_key(gw: Gateway) -> dict[str, Any]:
    name = gw.name("mole")
    return {**_change("create_key", name), "after": {
        "key_alias": name, "key": f"sk-{gw.prefix}-chosen-by-attacker",
        "models": [gw.name("MiniMax-M2.5")],
        "metadata": {"managed_by": f"reconciler/{gw.prefix}", "agent": name}}}


TAMPERED: dict[str, Tamper] = {
    "delete pinned key": _key_change("delete_key", "pinned_alias"),
    "update pinned key": _key_change("update_key", "pinned_alias",
                                     after={"models": ["MiniMax-M2.5"], "max_budget": 0}),
    "block pinned key": _key_change("block_key", "pinned_alias", after={"blocked": True}),
    "update unmanaged key": _key_change("update_key", "unmanaged_alias", after={"max_budget": 0}),
    "delete unmanaged key": _key_change("delete_key", "unmanaged_alias"),
    "all models on a managed key": _key_change("update_key", "妮可", after={"models": []}),
    "new key with a chosen raw value": _create_with_chosen_key,
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_saved_plan_is_refused_before_any_write(
    gateway: Gateway, tmp_path: Path, tamper: Tamper
) -> None:
    _applied_with_a_pending_update(gateway, tmp_path)
    data = _save_plan(gateway, tmp_path)
    assert [c["action"] for c in data["changes"]] == ["update_key"]
    data["changes"][0] = tamper(gateway)
    _write_plan(tmp_path, data)
    before = _snapshot(gateway)

    result = _apply_saved(gateway, tmp_path)
    assert result.code == 1, result.both
    assert result.err.strip() == (
        "error: plan.json is not the plan desired/ and the gateway give now (the file was "
        "edited or the gateway changed since it was made); nothing was changed; "
        "run plan again")
    # Nothing shown but, on a proxy other suites share, the wait for their apply's lease.
    assert [line for line in result.out.splitlines() if not line.startswith("Waiting for")] == []
    assert _snapshot(gateway) == before
    assert not (tmp_path / "apply-report.json").exists()


def test_an_edited_plan_without_a_new_digest_is_refused_before_any_call(
    gateway: Gateway, tmp_path: Path
) -> None:
    _applied_with_a_pending_update(gateway, tmp_path)
    data = _save_plan(gateway, tmp_path)
    data["changes"][0] = TAMPERED["delete pinned key"](gateway)
    _write_plan(tmp_path, data, redigest=False)
    before = _snapshot(gateway)
    # An unreachable gateway proves the file is refused before the first request.
    result = run_cli(None, tmp_path, "apply", "plan.json", "--desired", "desired",
                     "--auto-approve", base_url="http://127.0.0.1:9", admin_key="sk-whatever-0")
    assert result.code == 1
    assert result.err.strip() == (
        "error: the plan file's changes were edited after plan wrote them "
        "(changes_digest does not match); run plan again")
    assert _snapshot(gateway) == before


def test_a_plan_made_from_another_desired_is_refused(gateway: Gateway, tmp_path: Path) -> None:
    estate = _applied_with_a_pending_update(gateway, tmp_path)
    other = {**estate, "agents": [*estate["agents"], agent(gateway, "stowaway", ["MiniMax-M2.5"])]}
    write_desired(tmp_path / "other", other)
    made = run_cli(gateway, tmp_path, "plan", "--desired", "other", "--out", "plan.json")
    assert made.code == 0, made.both
    before = _snapshot(gateway)

    result = _apply_saved(gateway, tmp_path)
    assert result.code == 1
    assert result.err.strip() == (
        "error: plan.json was made from another desired/ than desired "
        "(desired_digest differs); nothing was changed; run plan again")
    assert _snapshot(gateway) == before
    assert gateway.name("stowaway") not in gateway.live_keys()


def test_a_saved_plan_cannot_skip_the_safety_threshold(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"] = [agent(gateway, f"agent-{i:02d}", ["MiniMax-M2.5"]) for i in range(10)]
    write_desired(tmp_path / "desired", estate)
    first = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                    "--secrets-out", "s.jsonl")
    assert first.code == 0, first.both
    estate["agents"] = estate["agents"][:6]
    write_desired(tmp_path / "desired", estate)
    data = _save_plan(gateway, tmp_path)
    data["existing_managed"] = 0  # the base a saved plan once claimed for the percentages
    data["existing_keys"] = 10**6
    _write_plan(tmp_path, data)
    before = _snapshot(gateway)

    result = _apply_saved(gateway, tmp_path)
    assert result.code == 1
    assert result.err.strip() == (
        "error: too many key blocks and deletes: 40% is over 30% (4/10 managed keys); "
        "--force required")
    assert _snapshot(gateway) == before


def test_the_untampered_saved_plan_is_applied(gateway: Gateway, tmp_path: Path) -> None:
    _applied_with_a_pending_update(gateway, tmp_path)
    _save_plan(gateway, tmp_path)
    result = _apply_saved(gateway, tmp_path)
    assert result.code == 0, result.both
    assert gateway.live_keys()[gateway.name("妮可")]["max_budget"] == 25
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
