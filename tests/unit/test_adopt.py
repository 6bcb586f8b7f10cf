"""Adoption in the pure diff: which unmanaged key an agent stands for, what adopt_key and
adopt_model carry, and the objects adoption never takes."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.kinds.key.adopt import hash_name
from tests.unit.builders import estate, key_row, model_row, parse_live, token_of

HEAD = "config_models: [MiniMax-M2.5]\n"


def agent_yaml(name: str, extra: str = "") -> str:
    return f"agents:\n  - {{name: {name}, owner: sileya, models: [MiniMax-M2.5]{extra}}}\n"


def plan(text: str, *keys: dict[str, Any], models: list[dict[str, Any]] | None = None) -> Plan:
    return plan_changes(estate(HEAD + text), parse_live(list(keys), models or []))


def conflict(text: str, *keys: dict[str, Any]) -> str:
    with pytest.raises(PlanError) as caught:
        plan(text, *keys)
    return str(caught.value)


HAND_MADE = key_row("妮可", raw="sk-handmadeNicole0001", models=["MiniMax-M2.5"],
                    metadata={"owner": "sileya"}, spend=3.5)


def test_alias_taken_without_adopt_names_every_way_out() -> None:
    message = conflict(agent_yaml("妮可"), HAND_MADE)
    assert "the alias is taken by a key this scope did not create (sk-...0001)" in message
    assert "`adopt: true`" in message and "reconciler import" in message
    assert "remove that key by hand" in message


def test_adopt_true_stamps_marker_and_record_and_nothing_else() -> None:
    (change,) = plan(agent_yaml("妮可", ", adopt: true"), HAND_MADE).changes
    assert (change.action, change.target, change.ref) == (
        "adopt_key", "妮可", HAND_MADE["token"])
    assert set(change.after) == {"metadata"}  # alias already right, fields already equal
    metadata = change.after["metadata"]
    assert metadata["managed_by"] == "reconciler" and metadata["agent"] == "妮可"
    assert metadata["reconciler_applied"]["blocked"] is False
    assert change.before["metadata"] == {"owner": "sileya"}


def test_unaliased_key_is_found_by_metadata_agent_and_gets_the_alias() -> None:
    li = key_row(None, raw="sk-handmadeLi0000002", models=["MiniMax-M2.5"],
                 metadata={"agent": "李狗蛋", "owner": "sileya"})
    assert "metadata.agent names it on a key" in conflict(agent_yaml("李狗蛋"), li)
    (change,) = plan(agent_yaml("李狗蛋", ", adopt: true"), li).changes
    assert change.before["key_alias"] is None and change.after["key_alias"] == "李狗蛋"


def test_key_with_neither_alias_nor_agent_is_found_by_its_hash_name() -> None:
    bare = key_row(None, raw="sk-bareKeyNoName00003", models=["MiniMax-M2.5"])
    name = hash_name(token_of("sk-bareKeyNoName00003"))
    assert name == "key-" + bare["token"][:12]
    (change,) = plan(agent_yaml(name, ", adopt: true"), bare).changes
    assert change.action == "adopt_key" and change.after["key_alias"] == name


def test_differing_fields_are_part_of_the_adopt_change() -> None:
    text = agent_yaml("妮可", ", adopt: true, max_budget: 20").replace(
        "[MiniMax-M2.5]", "[MiniMax-M2.5, MiniMax-M2.7]").replace(
        "config_models: [MiniMax-M2.5]", "") + "config_models: [MiniMax-M2.5, MiniMax-M2.7]\n"
    (change,) = plan_changes(estate(text), parse_live([HAND_MADE], [])).changes
    assert change.before["max_budget"] is None and change.after["max_budget"] == 20
    assert sorted(change.after["models"]) == ["MiniMax-M2.5", "MiniMax-M2.7"]


def test_two_matching_keys_are_never_guessed_between() -> None:
    one = key_row(None, raw="sk-twinKeyNumber00001", metadata={"agent": "李狗蛋"})
    two = key_row(None, raw="sk-twinKeyNumber00002", metadata={"agent": "李狗蛋"})
    message = conflict(agent_yaml("李狗蛋", ", adopt: true"), one, two)
    assert "2 keys this scope did not create match it" in message


def test_another_scopes_key_is_never_taken() -> None:
    theirs = key_row("妮可", raw="sk-otherScopeKey00001",
                     metadata={"managed_by": "reconciler/team-b"})
    message = conflict(agent_yaml("妮可", ", adopt: true"), theirs)
    assert "another scope's key" in message and "never taken" in message


def test_pinned_key_is_never_adopted() -> None:
    pinned = key_row(None, raw="sk-sileya-fixed-0001", metadata={"agent": "李狗蛋"})
    text = agent_yaml("李狗蛋", ", adopt: true") + f"pinned: [{{key_sha256: {pinned['token']}}}]\n"
    (change,) = plan(text, pinned).changes
    assert change.action == "create_key"  # a new key; the pinned one is not looked at


def test_hand_blocked_key_is_adopted_blocked_and_held() -> None:
    blocked = {**HAND_MADE, "blocked": True}
    adopted = plan(agent_yaml("妮可", ", adopt: true"), blocked)
    (change,) = adopted.changes
    assert "blocked" not in change.after
    assert [(h.kind, h.name) for h in adopted.holds] == [("held_key", "妮可")]
    # Declared blocked, the block becomes the tool's own: later `blocked: false` unblocks.
    (declared,) = plan(agent_yaml("妮可", ", adopt: true, blocked: true"), blocked).changes
    assert declared.after["metadata"]["reconciler_applied"]["blocked"] is True
    assert not plan(agent_yaml("妮可", ", adopt: true, blocked: true"), blocked).holds


def unmanaged_model(**params: Any) -> dict[str, Any]:
    return model_row("m25", "MiniMax-M2.5",
                     {"model": "minimax/MiniMax-M2.5", "api_key": "literal", **params},
                     info={"description": "hand"})


MODEL_YAML = """\
models:
  - id: m25
    model_name: MiniMax-M2.5
    litellm_params: {{model: minimax/MiniMax-M2.5, api_key: os.environ/MINIMAX, rpm: {rpm}}}
    model_info: {{description: hand}}
{extra}"""


def test_unmanaged_model_is_adopted_without_sending_its_secret() -> None:
    text = MODEL_YAML.format(rpm=60, extra="    adopt: true\n")
    (change,) = plan_changes(estate(text), parse_live([], [unmanaged_model(rpm=60)])).changes
    assert (change.action, change.target) == ("adopt_model", "m25")
    assert change.after == {"model_info": {"managed_by": "reconciler"}}
    info = change.spec["model_info"]  # type: ignore[index]
    assert info["managed_by"] == "reconciler" and info["reconciler"]["sha256"]
    (moved,) = plan_changes(
        estate(MODEL_YAML.format(rpm=90, extra="    adopt: true\n")),
        parse_live([], [unmanaged_model(rpm=60)]),
    ).changes
    assert moved.after["litellm_params"] == {"rpm": 90}  # never api_key


def test_unmanaged_model_without_adopt_names_the_way_out() -> None:
    with pytest.raises(PlanError) as caught:
        plan_changes(estate(MODEL_YAML.format(rpm=60, extra="")),
                     parse_live([], [unmanaged_model(rpm=60)]))
    assert "adopt it with `adopt: true`" in str(caught.value)
