"""protected, ignore_fields and drift marking on both gateways: each holds under a plan that
would otherwise change the object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli, standard_estate, write_desired


def apply(gw: Gateway, tmp_path: Path) -> None:
    result = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                     "--secrets-out", "secrets.jsonl")
    assert result.code == 0, result.both


def plan_json(gw: Gateway, tmp_path: Path) -> dict[str, Any]:
    result = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json")
    assert result.code == 0, result.both
    return dict(json.loads(result.out))


def guarded_estate(gw: Gateway) -> dict[str, Any]:
    estate = standard_estate(gw)
    li, ni = estate["agents"]
    li["ignore_fields"] = ["max_budget", "metadata.cost_center"]
    ni["protected"] = True
    m25, m25l = estate["models"]
    m25["ignore_fields"] = ["litellm_params.rpm"]
    m25l["protected"] = True
    return estate


def test_ignored_fields_are_never_compared_nor_written(gateway: Gateway, tmp_path: Path) -> None:
    estate = guarded_estate(gateway)
    desired = write_desired(tmp_path / "desired", estate)
    apply(gateway, tmp_path)
    li_name = gateway.name("李狗蛋")
    li = gateway.live_keys()[li_name]
    # Another system owns the budget, a cost-centre tag and the deployment's rpm.
    gateway.call("POST", "/key/update", json={
        "key": li["token"], "max_budget": 500,
        "metadata": {**li["metadata"], "cost_center": "cc-9"}})
    gateway.call("PATCH", f"/model/{gateway.name('m25')}/update",
                 json={"litellm_params": {"rpm": 999}})
    quiet = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert quiet.code == 0, quiet.both

    estate["agents"][0].update(max_budget=75, rpm_limit=61)
    estate["models"][0]["litellm_params"]["rpm"] = 130
    write_desired(desired, estate)
    plan = plan_json(gateway, tmp_path)
    (change,) = plan["changes"]
    assert (change["action"], change["target"]) == ("update_key", li_name)
    assert "max_budget" not in change["after"] and change["after"]["rpm_limit"] == 61
    assert change["drift"] is False  # desired/ moved; the gateway did not drift
    apply(gateway, tmp_path)
    after = gateway.live_keys()[li_name]
    assert after["max_budget"] == 500 and after["rpm_limit"] == 61
    assert after["metadata"]["cost_center"] == "cc-9"
    assert gateway.models()[gateway.name("m25")]["litellm_params"]["rpm"] == 999
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both


def test_protected_objects_are_never_blocked_or_deleted(gateway: Gateway,
                                                        tmp_path: Path) -> None:
    estate = guarded_estate(gateway)
    desired = write_desired(tmp_path / "desired", estate)
    apply(gateway, tmp_path)
    ni_name, m25l = gateway.name("妮可"), gateway.name("m25l")
    estate["agents"] = estate["agents"][:1]
    estate["models"] = estate["models"][:1]
    estate["agents"][0]["models"] = [gateway.name("MiniMax-M2.5")]
    estate["settings"]["removed_agents"] = "delete"
    write_desired(desired, estate)
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 0, plan.both
    assert f"'{ni_name}' (sk-" in plan.out and "is protected" in plan.out
    assert f"model '{m25l}' is protected" in plan.out
    assert "delete key" not in plan.out and "delete model" not in plan.out
    apply(gateway, tmp_path)
    assert gateway.live_keys()[ni_name]["blocked"] is not True
    assert m25l in gateway.models()


def test_changes_made_outside_desired_are_marked_drift(gateway: Gateway, tmp_path: Path) -> None:
    write_desired(tmp_path / "desired", standard_estate(gateway))
    apply(gateway, tmp_path)
    li = gateway.live_keys()[gateway.name("李狗蛋")]
    gateway.call("POST", "/key/update", json={"key": li["token"], "rpm_limit": 5})
    gateway.call("PATCH", f"/model/{gateway.name('m25')}/update",
                 json={"litellm_params": {"rpm": 7}})
    plan = plan_json(gateway, tmp_path)
    drift = {(c["action"], c["target"]): c["drift"] for c in plan["changes"]}
    assert drift == {("update_key", gateway.name("李狗蛋")): True,
                     ("update_model", gateway.name("m25")): True}
    text = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert text.code == 2
    assert f"~ update key {gateway.name('李狗蛋')} ({li['key_name']}) " \
        "[drift: changed outside desired/]" in text.out
    assert "2 of them undo drift" in text.out
    markdown = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "markdown")
    assert "[drift: changed outside desired/]" in markdown.out
    apply(gateway, tmp_path)
    assert gateway.live_keys()[gateway.name("李狗蛋")]["rpm_limit"] == 60
