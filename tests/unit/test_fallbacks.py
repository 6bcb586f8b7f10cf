"""Fallback routing: declared in desired/, read from /get/config/callbacks, set whole."""

from __future__ import annotations

import json

import httpx

from reconciler.core.engine.planner import plan_changes
from reconciler.core.input.yamlsource import Source
from reconciler.core.kinds.routing.live import fallbacks_digest
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import apply_plan
from tests.unit.builders import estate, parse_live, problems_of

MODELS = "config_models: [A, B, C]\n"


def test_declared_fallbacks_become_one_whole_list_change() -> None:
    desired = estate(MODELS + "fallbacks:\n  A: [B, C]\n  B: [C]\n")
    live = parse_live([], [], {"fallbacks": [{"A": ["B"]}, {"C": ["A"]}]})
    plan = plan_changes(desired, live)
    [change] = plan.changes
    assert change.action == "update_routing" and change.target == "fallbacks"
    assert change.before == {"A": ["B"], "B": None, "C": ["A"]}
    assert change.after == {"A": ["B", "C"], "B": ["C"], "C": None}
    assert change.spec == {"fallbacks": [{"A": ["B", "C"]}, {"B": ["C"]}],
                           "record": fallbacks_digest({"A": ["B", "C"], "B": ["C"]})}
    assert ("routing" in plan.reads)
    assert change.drift is False  # nothing recorded: the tool cannot tell, so it does not claim


def test_fallbacks_changed_outside_desired_are_drift() -> None:
    """The record says what the tool last applied: live fallbacks that differ from it were
    changed outside desired/ (a raw /config/update); a desired/ change over the record is not."""
    applied = {"A": ["B"]}
    record = {"reconciler_applied": fallbacks_digest(applied)}
    by_hand = parse_live([], [], {"fallbacks": [{"A": ["C"]}], **record})
    [change] = plan_changes(estate(MODELS + "fallbacks:\n  A: [B]\n"), by_hand).changes
    assert change.drift is True and change.data["drift"] is True
    as_applied = parse_live([], [], {"fallbacks": [{"A": ["B"]}], **record})
    [wanted] = plan_changes(estate(MODELS + "fallbacks:\n  A: [C]\n"), as_applied).changes
    assert wanted.drift is False


def test_equal_fallbacks_plan_nothing_and_null_means_none() -> None:
    desired = estate(MODELS + "fallbacks:\n  A: [B]\n")
    assert not plan_changes(desired, parse_live([], [], {"fallbacks": [{"A": ["B"]}]})).changes
    empty = estate(MODELS + "fallbacks: {}\n")
    assert not plan_changes(empty, parse_live([], [], {"fallbacks": None})).changes


def test_undeclared_fallbacks_are_left_alone() -> None:
    plan = plan_changes(estate(MODELS), parse_live([], [], {"fallbacks": [{"A": ["B"]}]}))
    assert not plan.changes and "routing" not in plan.reads


def test_fallback_mistakes_are_located() -> None:
    problems = problems_of([
        Source("routing.yaml", MODELS + "fallbacks:\n  A: [A]\n"),
        Source("more.yaml", "fallbacks:\n  A: [B]\n  Z: [Y]\n"),
    ])
    assert "routing.yaml:3: fallbacks.A[0]: 'A' cannot fall back to itself" in problems
    problems = problems_of([
        Source("a.yaml", MODELS + "fallbacks:\n  A: [B]\n"),
        Source("b.yaml", "fallbacks:\n  Z: [Y]\n"),
    ])
    assert "b.yaml:1: fallbacks: fallbacks is defined twice (first at a.yaml:2)" in problems
    assert "b.yaml:2: fallbacks.Z: model 'Z' is declared nowhere (add it under models: or " \
        "config_models:)" in problems
    assert "b.yaml:2: fallbacks.Z[0]: model 'Y' is declared nowhere (add it under models: or " \
        "config_models:)" in problems


def test_apply_sends_the_whole_list_to_config_update() -> None:
    sent: list[tuple[str, str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        sent.append((request.method, request.url.path, body))
        return httpx.Response(200, json={"message": "Config updated successfully"})

    desired = estate(MODELS + "fallbacks:\n  A: [B, C]\n")
    plan = plan_changes(desired, parse_live([], [], {"fallbacks": []}))
    with GatewayClient("http://gw", "sk-admin-000000", transport=httpx.MockTransport(handler)) as c:
        report = apply_plan(plan, c, None)
    assert report.ok
    assert sent[0] == ("POST", "/config/update",
                       {"router_settings": {"fallbacks": [{"A": ["B", "C"]}]}})
    # Then the record of what was applied, on the tool's own blocked, model-less key.
    method, path, body = sent[-1]
    assert (method, path) == ("POST", "/key/generate")
    assert isinstance(body, dict) and body["key_alias"] == "reconciler-lease-record/routing"
    assert body["blocked"] is True and body["max_budget"] == 0
    assert body["models"] == ["reconciler-record-no-model"]
    assert body["metadata"] == {"reconciler_routing": {"sha256": fallbacks_digest(
        {"A": ["B", "C"]})}}
    assert [p for _, p, _ in sent if p not in ("/user/list", "/key/list", "/key/info")] == [
        "/config/update", "/key/generate"]
