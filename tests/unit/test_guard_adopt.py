"""The guard on adoption and holds: adopt only what no scope manages and nobody pinned, and
never unblock a key held blocked outside desired/, whatever a (tampered) plan says."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import ForbiddenChangeError
from tests.unit.builders import estate, key_row, managed_key, model_row, parse_live, token_of

ESTATE = estate(
    "pinned: [{alias: sileya}]\nconfig_models: [MiniMax-M2.5]\n"
    "models: [{id: m25, model_name: MiniMax-M2.5, litellm_params: {model: x/y}, adopt: true}]\n"
    "agents:\n  - {name: 妮可, owner: sileya, models: [MiniMax-M2.5], adopt: true}\n"
)
HAND = key_row("妮可", raw="sk-handmadeNicole0001", models=["MiniMax-M2.5"])
BARE = key_row(None, raw="sk-bareKeyNoAlias0001", metadata={"agent": "阿强"})
ROWS = [
    HAND,
    BARE,
    key_row("sileya", raw="sk-sileya-fixed-00001"),
    key_row("theirs", raw="sk-otherScopeKey00001", metadata={"managed_by": "reconciler/b"}),
    managed_key("held", raw="sk-heldKeyRawValue0001", blocked=True),
    managed_key("mine", raw="sk-toolBlockedKey0001", blocked=True, applied={"blocked": True}),
]
MODELS = [
    model_row("m25", "MiniMax-M2.5", {"model": "x/y"}),
    model_row("cfg", "MiniMax-M2.5", {"model": "x/y"}, db_model=False),
    model_row("b", "B", {"model": "x/y"}, info={"managed_by": "reconciler/b"}),
]
LIVE = parse_live(ROWS, MODELS)
GUARD = Guard(GuardContext.build(ESTATE, LIVE))
STAMP = {"metadata": {"managed_by": "reconciler", "agent": "x", "owner": "y"}}


def refused(change: Change) -> str:
    with pytest.raises(ForbiddenChangeError) as caught:
        GUARD(change)
    return str(caught.value)


def test_the_honest_adoption_plan_passes() -> None:
    plan = plan_changes(ESTATE, LIVE)
    assert {c.action for c in plan.changes} == {"adopt_key", "adopt_model"}
    for change in plan.changes:
        GUARD(change)


@pytest.mark.parametrize(
    ("raw", "alias", "message"),
    [
        ("sk-sileya-fixed-00001", "sileya", "pinned and is never adopted"),
        ("sk-otherScopeKey00001", "theirs", "only a key no scope manages can be adopted"),
        ("sk-toolBlockedKey0001", "mine", "only a key no scope manages can be adopted"),
    ],
)
def test_adopting_pinned_or_managed_keys_is_refused(raw: str, alias: str, message: str) -> None:
    assert message in refused(Change("key", Verb.ADOPT, alias, after=dict(STAMP),
                                     ref=token_of(raw)))


def test_adoption_must_name_the_key_rightly_and_stamp_it() -> None:
    bare = token_of("sk-bareKeyNoAlias0001")
    assert "set the key's alias" in refused(Change("key", Verb.ADOPT, "阿强", after=STAMP,
                                                   ref=bare))
    taken = {**STAMP, "key_alias": "妮可"}
    assert "already holds that alias" in refused(
        Change("key", Verb.ADOPT, "妮可", after=taken, ref=bare))
    hand = HAND["token"]
    assert "aliased '妮可'" in refused(Change("key", Verb.ADOPT, "x", after=STAMP, ref=hand))
    assert "must stamp" in refused(Change("key", Verb.ADOPT, "妮可", after={}, ref=hand))
    unblock: dict[str, Any] = {**STAMP, "blocked": False}
    assert "never unblocks" in refused(Change("key", Verb.ADOPT, "妮可", after=unblock, ref=hand))
    secret = {**STAMP, "key": "sk-chosenByAPlan00001"}
    assert "never set by a plan" in refused(Change("key", Verb.ADOPT, "妮可", after=secret,
                                                   ref=hand))


def test_only_an_unmarked_db_model_is_adopted() -> None:
    spec = {"model_name": "B", "litellm_params": {"model": "x/y"},
            "model_info": {"id": "b", "managed_by": "reconciler"}}
    assert "only a model no scope manages" in refused(Change("model", Verb.ADOPT, "b", spec=spec))
    spec = {**spec, "model_info": {"id": "cfg", "managed_by": "reconciler"}}
    assert "config.yaml" in refused(Change("model", Verb.ADOPT, "cfg", spec=spec))


def test_a_held_key_is_never_unblocked_by_a_plan() -> None:
    held = token_of("sk-heldKeyRawValue0001")
    assert "that key is held" in refused(
        Change("key", Verb.UNBLOCK, "held", after={"blocked": False}, ref=held))
    GUARD(Change("key", Verb.UNBLOCK, "mine", after={"blocked": False},
                     ref=token_of("sk-toolBlockedKey0001")))


def test_a_recorded_block_keeps_the_marker() -> None:
    mine = token_of("sk-toolBlockedKey0001")
    change = Change("key", Verb.BLOCK, "mine", after={"blocked": True}, ref=mine,
                      spec={"metadata": {"managed_by": "reconciler/b"}})
    assert "must keep this scope's marker" in refused(change)
