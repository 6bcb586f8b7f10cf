"""Adopting a live gateway built by hand, the way the brief's admin agent does it, on both
gateways: raw /key/generate and /model/new calls -> import -> validate -> plan (only adopt)
-> apply -> plan empty; the old raw keys keep working; hand-made blocks are held."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli

UPSTREAM_SECRET = "sk-upstream-literal-0123456789"  # what a hand-made /model/new sent


@pytest.fixture
def hand_made(gateway: Gateway) -> Iterator[dict[str, str]]:
    """The brief's estate made by raw API calls: one key with metadata.agent and no alias, one
    with an alias, two DB deployments with a literal secret, fallbacks (gateway-wide: put back)."""
    m25, m25l = gateway.name("MiniMax-M2.5"), gateway.name("MiniMax-M2.5-Lightning")
    for base, name in (("m25", m25), ("m25l", m25l)):
        gateway.call("POST", "/model/new", json={
            "model_name": name,
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": UPSTREAM_SECRET,
                               "rpm": 60, "mock_response": "hi"},
            "model_info": {"id": gateway.name(base), "description": "made by hand"}})
    li = gateway.call("POST", "/key/generate", json={
        "models": [m25, m25l], "metadata": {"agent": gateway.name("李狗蛋"), "owner": "sileya"}})
    ni = gateway.call("POST", "/key/generate", json={
        "key_alias": gateway.name("妮可"), "models": [m25], "max_budget": 20,
        "metadata": {"owner": "sileya", "team": "research"}})
    gateway.call("POST", "/key/update", json={"key": ni["token"], "spend": 1.25})
    before = gateway.call("GET", "/get/config/callbacks")["router_settings"].get("fallbacks")
    gateway.call("POST", "/config/update",
                 json={"router_settings": {"fallbacks": [{m25: [m25l]}]}})
    yield {"li": li["key"], "ni": ni["key"], "li_token": li["token"], "ni_token": ni["token"]}
    gateway.call("POST", "/config/update", json={"router_settings": {"fallbacks": before or []}})
    # The unaliased key is outside the fixture's alias namespace: delete it here.
    with gateway.http() as http:
        http.post("/key/delete", json={"keys": [li["token"]]})


def own_info(gw: Gateway, raw: str) -> httpx.Response:
    """/key/info with the raw key as its own bearer: only a working key gets 200."""
    with httpx.Client(base_url=gw.base_url, timeout=30) as http:
        return http.get("/key/info", headers={"Authorization": f"Bearer {raw}"})


def desired_tree(gw: Gateway, tmp_path: Path) -> Path:
    root = tmp_path / "desired"
    root.mkdir()
    (root / "gateway.yaml").write_text(
        f"settings: {{scope: {gw.prefix}}}\npinned:\n  - alias: {gw.pinned_alias}\n",
        encoding="utf-8")
    return root


def import_args(gw: Gateway) -> list[str]:
    names = ("李狗蛋", "妮可", "MiniMax-M2.5*", "sileya")
    return ["import", "--desired", "desired", *(a for n in names
                                                 for a in ("--include", gw.name(n)))]


def plan_json(gw: Gateway, tmp_path: Path) -> dict[str, Any]:
    result = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json")
    assert result.code == 0, result.both
    return dict(json.loads(result.out))


def test_import_adopt_keeps_keys_working(gateway: Gateway, hand_made: dict[str, str],
                                         tmp_path: Path) -> None:
    root = desired_tree(gateway, tmp_path)
    imported = run_cli(gateway, tmp_path, *import_args(gateway))
    assert imported.code == 0, imported.both
    assert f"agent {gateway.name('李狗蛋')} (sk-...{hand_made['li'][-4:]}): name from " \
        "metadata.agent" in imported.out
    assert f"agent {gateway.name('妮可')} (sk-...{hand_made['ni'][-4:]}): name from key_alias" \
        in imported.out
    assert f"left alone: pinned key {gateway.pinned_alias}" in imported.out
    written = "".join(p.read_text(encoding="utf-8") for p in root.glob("imported-*.yaml"))
    for secret in (hand_made["li"], hand_made["ni"], UPSTREAM_SECRET, gateway.pinned_raw):
        assert secret not in written and secret not in imported.both
    assert gateway.unmanaged_alias not in written  # not included, so not declared

    # No hand edit: the secrets /model/info hides are kept as the gateway holds them.
    assert "REPLACE_ME" not in written
    assert written.count("- litellm_params.api_key") == 2  # one per deployment
    assert f"kept as the gateway holds it: model {gateway.name('m25')}: litellm_params.api_key" \
        in imported.out
    valid = run_cli(None, tmp_path, "validate", "--desired", "desired")
    assert valid.code == 0, valid.both

    plan = plan_json(gateway, tmp_path)
    actions = sorted((c["action"], c["target"]) for c in plan["changes"])
    assert actions == sorted([
        ("adopt_key", gateway.name("李狗蛋")), ("adopt_key", gateway.name("妮可")),
        ("adopt_model", gateway.name("m25")), ("adopt_model", gateway.name("m25l"))])
    li_adopt = next(c for c in plan["changes"] if c["target"] == gateway.name("李狗蛋"))
    assert li_adopt["after"]["key_alias"] == gateway.name("李狗蛋")
    assert set(li_adopt["after"]) == {"key_alias", "metadata"}  # nothing else changes
    text_plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert f"@ adopt key {gateway.name('妮可')}" in text_plan.out
    assert f'metadata.managed_by: null → "reconciler/{gateway.prefix}"' in text_plan.out

    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert applied.code == 0, applied.both
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
    assert "No changes" in again.out

    for raw in (hand_made["li"], hand_made["ni"]):
        answer = own_info(gateway, raw)
        assert answer.status_code == 200, answer.text
        assert answer.json()["info"]["metadata"]["managed_by"] == f"reconciler/{gateway.prefix}"
    ni_info = gateway.key_info(hand_made["ni_token"])
    assert ni_info["spend"] == pytest.approx(1.25)
    assert ni_info["max_budget"] == 20 and ni_info["metadata"]["team"] == "research"
    assert gateway.models()[gateway.name("m25")]["model_info"]["description"] == "made by hand"
    if gateway.kind == "sandbox":  # no upstream for the real proxy to call
        with httpx.Client(base_url=gateway.base_url, timeout=30) as http:
            chat = http.post("/chat/completions",
                             headers={"Authorization": f"Bearer {hand_made['li']}"},
                             json={"model": gateway.name("MiniMax-M2.5"),
                                   "messages": [{"role": "user", "content": "hi"}]})
        assert chat.status_code == 200, chat.text


def test_hand_made_block_is_held_until_unblock(gateway: Gateway, hand_made: dict[str, str],
                                               tmp_path: Path) -> None:
    desired_tree(gateway, tmp_path)
    assert run_cli(gateway, tmp_path, *import_args(gateway)).code == 0
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve").code == 0
    li, ni = gateway.name("李狗蛋"), gateway.name("妮可")

    # The admin agent blocks 李狗蛋 with the brief's own call, by raw key.
    gateway.call("POST", "/key/block", json={"key": hand_made["li"]})
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert f"⏸ held: {li} sk-...{hand_made['li'][-4:]} blocked outside desired/ (by hand)" \
        in plan.out
    assert "unblock" not in plan.out.split("held:")[0]
    data = plan_json(gateway, tmp_path)
    assert [h["name"] for h in data["holds"]] == [li]
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert applied.code == 0, applied.both
    assert gateway.key_info(hand_made["li_token"])["blocked"] is True
    assert own_info(gateway, hand_made["li"]).status_code == 401

    # The incident command: immediate, recorded, held the same way.
    blocked = run_cli(gateway, tmp_path, "block", ni, "--reason", "spend 10x normal",
                      "--desired", "desired")
    assert blocked.code == 0, blocked.both
    hold = gateway.key_info(hand_made["ni_token"])["metadata"]["reconciler_hold"]
    assert hold["reason"] == "spend 10x normal" and hold["at"].endswith("+00:00")
    markdown = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "markdown")
    assert "> ⏸ " in markdown.out and f"held: {ni} " in markdown.out
    assert "spend 10x normal" in markdown.out

    for agent, token in ((li, "li_token"), (ni, "ni_token")):
        lifted = run_cli(gateway, tmp_path, "unblock", agent, "--desired", "desired")
        assert lifted.code == 0, lifted.both
        info = gateway.key_info(hand_made[token])
        assert info["blocked"] is False and "reconciler_hold" not in info["metadata"]
    assert own_info(gateway, hand_made["li"]).status_code == 200
    final = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert final.code == 0 and "held" not in final.out, final.both


def test_incident_commands_refuse_pinned_and_foreign_keys(gateway: Gateway, hand_made:
                                                          dict[str, str], tmp_path: Path) -> None:
    desired_tree(gateway, tmp_path)
    for agent, message in ((gateway.pinned_alias, "is a pinned key"),
                           (gateway.unmanaged_alias, "not by scope"),
                           (gateway.name("妮可"), "not by scope"),
                           (gateway.name("nobody"), "no key of agent")):
        for command in (["block", agent, "--reason", "x"], ["unblock", agent]):
            result = run_cli(gateway, tmp_path, *command, "--desired", "desired")
            assert result.code == 1 and message in result.err, result.both
    assert gateway.key_info(hand_made["ni_token"])["blocked"] is not True


def test_another_scopes_key_is_never_adopted(gateway: Gateway, hand_made: dict[str, str],
                                             tmp_path: Path) -> None:
    root = desired_tree(gateway, tmp_path)
    name = gateway.name("foreign")
    # Another scope's key as the tool writes it: an admin made it, and it carries the record
    # (without one it would be a claim, see test_trust_ownership.py).
    theirs = {"managed_by": "reconciler/someone-else", "reconciler_applied": {"digest": "d"}}
    gateway.call("POST", "/key/generate", json={
        "key_alias": name, "models": [gateway.name("MiniMax-M2.5")], "metadata": theirs})
    (root / "agents.yaml").write_text(
        f"agents:\n  - {{name: {name}, owner: x, models: [{gateway.name('MiniMax-M2.5')}], "
        f"adopt: true}}\n  - {{name: {gateway.name('妮可')}, owner: sileya, "
        f"models: [{gateway.name('MiniMax-M2.5')}]}}\n"
        f"config_models: [{gateway.name('MiniMax-M2.5')}]\n", encoding="utf-8")
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 1
    assert "another scope's key" in plan.err and "never taken" in plan.err
    # Without adopt: true the error names the ways out, not only "remove by hand".
    assert f"agent {gateway.name('妮可')!r}: the alias is taken by a key this scope did not " \
        "create" in plan.err
    assert "`adopt: true`" in plan.err and "reconciler import" in plan.err
    keys = gateway.live_keys()
    assert keys[name]["metadata"] == theirs


def test_a_kept_secret_refuses_a_recreate(gateway: Gateway, hand_made: dict[str, str],
                                          tmp_path: Path) -> None:
    """import -> apply with no edit; then dropping a param (a re-create, which would lose the
    api_key only the gateway holds) is refused with the reason, by plan and apply alike."""
    root = desired_tree(gateway, tmp_path)
    assert run_cli(gateway, tmp_path, *import_args(gateway)).code == 0
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert applied.code == 0, applied.both
    before = gateway.models()[gateway.name("m25")]
    models = root / "imported-models.yaml"
    text = models.read_text(encoding="utf-8")
    assert text.count("      rpm: 60\n") == 2
    models.write_text(text.replace("      rpm: 60\n", "", 1), encoding="utf-8")
    for command in (("plan",), ("apply", "--auto-approve")):
        refused = run_cli(gateway, tmp_path, *command, "--desired", "desired")
        assert refused.code == 1, refused.both
        assert "litellm_params.api_key is kept as the gateway holds it" in refused.err
        assert "re-creates it" in refused.err and UPSTREAM_SECRET not in refused.both
    assert gateway.models()[gateway.name("m25")] == before
