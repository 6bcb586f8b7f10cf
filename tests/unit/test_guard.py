"""The guard: every write is checked against the estate and the live state, whatever the plan
says. The honest plan passes; each tampered change of the hardening issue is refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import ForbiddenChangeError
from reconciler.gateway.executor import StepStatus, apply_plan
from tests.unit.builders import (
    estate,
    key_row,
    managed_key,
    managed_model,
    model_row,
    parse_live,
    token_of,
)
from tests.unit.fake_gateway import FakeGateway

PINNED_RAW = "sk-sileya-fixed-0001"
PINNED = token_of(PINNED_RAW)
LEGACY = token_of("sk-legacyRAWsecret0001")
NICOLE = token_of("sk-nicoleRAWsecret0001")
OTHER = token_of("sk-otherscopeRAW00001")
ESTATE = f"""\
pinned:
  - {{alias: sileya, key_sha256: {PINNED}}}
config_models: [MiniMax-M2.7]
models:
  - id: m25
    model_name: MiniMax-M2.5
    litellm_params: {{model: minimax/MiniMax-M2.5, rpm: 60}}
agents:
  - {{name: 妮可, owner: sileya, models: [MiniMax-M2.5], rpm_limit: 10, duration: 30d}}
  - {{name: 李狗蛋, owner: sileya, models: [MiniMax-M2.5], duration: 7d}}
fallbacks:
  MiniMax-M2.7: [MiniMax-M2.5]
"""
MARKER = {"managed_by": "reconciler"}


def live() -> LiveState:
    return parse_live(
        [
            key_row("sileya", raw=PINNED_RAW, metadata=dict(MARKER)),  # pinned, even if marked
            key_row("legacy", raw="sk-legacyRAWsecret0001"),
            managed_key("妮可", raw="sk-nicoleRAWsecret0001", models=["MiniMax-M2.5"]),
            key_row("other", raw="sk-otherscopeRAW00001", metadata={"managed_by": "reconciler/b"}),
        ],
        [
            model_row("cfg", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False),
            model_row("hand", "Hand", {"model": "openai/hand"}),
            managed_model("m25", "MiniMax-M2.5", {"model": "minimax/MiniMax-M2.5"}),
            managed_model("gone", "Gone", {"model": "openai/gone"}),
        ],
        {"fallbacks": []},
    )


def guard() -> Guard:
    return Guard(GuardContext.build(estate(ESTATE), live()))


def honest_plan() -> Plan:
    return plan_changes(estate(ESTATE), live())


def test_every_change_of_the_honest_plan_passes() -> None:
    plan = honest_plan()
    key_fields = {name for c in plan.changes if c.action.endswith("_key") for name in c.after}
    assert "duration" in key_fields  # every field the diff writes is one the guard allows
    assert {c.action for c in plan.changes} == {
        "update_model", "update_routing", "create_key", "update_key", "delete_model"}
    for change in plan.changes:
        guard()(change)


def _refused(change: Change) -> str:
    with pytest.raises(ForbiddenChangeError) as caught:
        guard()(change)
    return str(caught.value)


NEW_KEY: dict[str, Any] = {
    "key_alias": "李狗蛋", "models": ["MiniMax-M2.5"], "metadata": {**MARKER, "agent": "李狗蛋"},
    "max_budget": None, "blocked": False,
}
MODEL_SPEC: dict[str, Any] = {
    "model_name": "MiniMax-M2.5", "litellm_params": {"model": "minimax/MiniMax-M2.5"},
    "model_info": {"id": "m25", **MARKER},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Case 1 of the hardening issue: the pinned key, by its sha256, with any action.
        (Change("key", Verb.DELETE, "sileya", ref=PINNED),
         "refused delete_key 'sileya': that key is pinned and is never changed"),
        (Change("key", Verb.UPDATE, "sileya", ref=PINNED, after={"models": ["MiniMax-M2.5"]}),
         "refused update_key 'sileya': that key is pinned and is never changed"),
        (Change("key", Verb.BLOCK, "sileya", ref=PINNED, after={"blocked": True}),
         "refused block_key 'sileya': that key is pinned and is never changed"),
        # Named by the raw value LiteLLM also accepts: not a live token, refused all the same.
        (Change("key", Verb.DELETE, "sileya", ref=PINNED_RAW),
         "refused delete_key 'sileya': no live key has that key_id"),
        # A key this tool did not create, and one of another scope.
        (Change("key", Verb.UPDATE, "legacy", ref=LEGACY, after={"rpm_limit": 1}),
         "refused update_key 'legacy': that key is not managed by this scope "
         "(not created by this tool)"),
        (Change("key", Verb.DELETE, "legacy", ref=LEGACY),
         "refused delete_key 'legacy': that key is not managed by this scope "
         "(not created by this tool)"),
        (Change("key", Verb.BLOCK, "other", ref=OTHER, after={"blocked": True}),
         "refused block_key 'other': that key is not managed by this scope "
         "(marker reconciler/b)"),
        # Object and action disagree.
        (Change("key", Verb.DELETE, "妮可", ref=LEGACY),
         "refused delete_key '妮可': that key is not managed by this scope "
         "(not created by this tool)"),
        (Change("key", Verb.UPDATE, "李狗蛋", ref=NICOLE, after={"rpm_limit": 1}),
         "refused update_key '李狗蛋': that key_id belongs to the key aliased '妮可', "
         "not '李狗蛋'"),
        (Change("key", Verb.UPDATE, "妮可", ref=NICOLE, after={"models": []}),
         "refused update_key '妮可': its models must be a non-empty list "
         "(LiteLLM reads [] as every model)"),
        (Change("key", Verb.UPDATE, "妮可", ref=NICOLE, after={"metadata": {"agent": "妮可"}}),
         "refused update_key '妮可': its metadata must keep this scope's marker (reconciler)"),
        (Change("key", Verb.UPDATE, "妮可", ref=NICOLE, after={"key_alias": "x", "team_id": "t"}),
         "refused update_key '妮可': it sets fields the tool never writes: key_alias"),
        # A key joins only the team desired/ names for its agent (here: none).
        (Change("key", Verb.UPDATE, "妮可", ref=NICOLE, after={"team_id": "t"}),
         "refused update_key '妮可': its team_id is not the one desired/ names for this agent"),
        (Change("key", Verb.UPDATE, "妮可", after={"rpm_limit": 1}),
         "refused update_key '妮可': it names no key_id"),
        (Change("key", Verb.BLOCK, "妮可", ref=NICOLE, after={"models": []}),
         "refused block_key '妮可': it carries ['models']"),
        (Change("key", Verb.CREATE, "李狗蛋", after={**NEW_KEY, "key": "sk-chosen-by-attacker-01"}),
         "refused create_key '李狗蛋': a key's secret is generated by the gateway, "
         "never set by a plan"),
        (Change("key", Verb.CREATE, "李狗蛋", after={**NEW_KEY, "models": []}),
         "refused create_key '李狗蛋': its models must be a non-empty list "
         "(LiteLLM reads [] as every model)"),
        (Change("key", Verb.CREATE, "李狗蛋", after={**NEW_KEY, "key_alias": "sileya"}),
         "refused create_key '李狗蛋': its key_alias differs from its target"),
        (Change("key", Verb.CREATE, "sileya", after={**NEW_KEY, "key_alias": "sileya"}),
         "refused create_key 'sileya': that alias is pinned"),
        (Change("key", Verb.CREATE, "legacy", after={**NEW_KEY, "key_alias": "legacy"}),
         "refused create_key 'legacy': that alias is held by a key outside this scope "
         "(not created by this tool)"),
        (Change("key", Verb.CREATE, "妮可", after={**NEW_KEY, "key_alias": "妮可"}),
         "refused create_key '妮可': a working managed key with that alias exists"),
        (Change("key", Verb.CREATE, "李狗蛋", ref=NICOLE, after=NEW_KEY),
         "refused create_key '李狗蛋': a new key has no key_id"),
        # Models: config.yaml, unmanaged, unknown, and bodies that drop the marker.
        (Change("model", Verb.DELETE, "cfg"),
         "refused delete_model 'cfg': that model is not managed by this scope "
         "(the gateway's config.yaml)"),
        (Change("model", Verb.DELETE, "hand"),
         "refused delete_model 'hand': that model is not managed by this scope "
         "(not created by this tool)"),
        (Change("model", Verb.DELETE, "nowhere"),
         "refused delete_model 'nowhere': no live model has that id"),
        (Change("model", Verb.UPDATE, "hand", after={"model_name": "X"}, spec=MODEL_SPEC),
         "refused update_model 'hand': that model is not managed by this scope "
         "(not created by this tool)"),
        (Change("model", Verb.UPDATE, "m25", after={"model_info": {"managed_by": None}},
                spec=MODEL_SPEC),
         "refused update_model 'm25': its model_info must keep this scope's marker (reconciler)"),
        (Change("model", Verb.UPDATE, "m25", after={"model_name": "X"},
                     spec={**MODEL_SPEC, "model_info": {"id": "cfg", **MARKER}}),
         "refused update_model 'm25': its model_info.id differs from its target"),
        (Change("model", Verb.CREATE, "cfg", after={**MODEL_SPEC, "model_info": {"id": "cfg",
                                                                                 **MARKER}}),
         "refused create_model 'cfg': a model with that id already exists "
         "(the gateway's config.yaml)"),
        (Change("model", Verb.CREATE, "new", after={**MODEL_SPEC, "model_info": {"id": "new"}}),
         "refused create_model 'new': its model_info must keep this scope's marker (reconciler)"),
        (Change("routing", Verb.UPDATE, "fallbacks", spec={"fallbacks": []}),
         "refused update_routing 'fallbacks': it is not the fallback routing desired/ declares"),
    ],
)
def test_tampered_changes_are_refused(change: Change, message: str) -> None:
    assert _refused(change) == message


def test_fallbacks_are_never_written_when_desired_leaves_them_alone() -> None:
    without = estate(ESTATE.split("fallbacks:")[0])
    honest = next(c for c in honest_plan().changes if c.action == "update_routing")
    with pytest.raises(ForbiddenChangeError, match="desired/ does not declare fallbacks"):
        Guard(GuardContext.build(without, live()))(honest)


def test_a_pinned_alias_is_protected_even_when_its_sha256_is_not_given() -> None:
    by_alias = estate(ESTATE.replace(f", key_sha256: {PINNED}", ""))
    with pytest.raises(ForbiddenChangeError, match="pinned"):
        Guard(GuardContext.build(by_alias, live()))(Change("key", Verb.UNBLOCK, "sileya",
                                                           ref=PINNED))


def test_executor_runs_the_guard_before_any_call_and_stops() -> None:
    fake = FakeGateway()
    honest = next(c for c in honest_plan().changes if c.action == "update_key")
    plan = Plan(changes=(honest, replace(honest, ref=PINNED, target="sileya")))
    report = apply_plan(plan, fake.client(), None, guard=guard())
    assert [r.status for r in report.results] == [StepStatus.FAILED, StepStatus.NOT_ATTEMPTED]
    assert report.results[0].message == (
        "refused update_key 'sileya': that key is pinned and is never changed")
    assert fake.calls == []


def test_a_key_whose_secret_was_lost_may_be_replaced() -> None:
    lost = managed_key("妮可", raw="sk-nicoleRAWsecret0001", models=["MiniMax-M2.5"],
                       blocked=True, metadata={"reconciler_secret_undelivered": True})
    state = parse_live([lost], [])
    plan = plan_changes(estate(ESTATE.split("fallbacks:")[0]), state)
    replacing = [c for c in plan.changes if c.target == "妮可"]
    assert [c.action for c in replacing] == ["delete_key", "create_key"]
    check = Guard(GuardContext.build(estate(ESTATE), state))
    for change in replacing:
        check(change)
