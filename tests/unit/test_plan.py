"""The Plan value: order, summary, safety thresholds, saved-plan round trip, live fingerprint."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import (
    FORMAT_VERSION,
    Plan,
    desired_digest,
    digest_of,
    plan_from_data,
)
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError, UnsafePlanError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.safety import Safety
from reconciler.core.input.yamlsource import Source
from tests.unit.builders import estate, key_row, managed_key, managed_model, model_row, parse_live

ESTATE = """\
config_models: [MiniMax-M2.7]
models:
  - id: new-model
    model_name: New
    litellm_params: {model: openai/new}
agents:
  - {name: 妮可, owner: sileya, models: [New], rpm_limit: 5}
  - {name: 李狗蛋, owner: sileya, models: [MiniMax-M2.7], blocked: true}
"""


def mixed_plan() -> Plan:
    """One of each kind: create/delete model, create/update/block key, an untouched key."""
    live = parse_live(
        [
            managed_key("李狗蛋", models=["MiniMax-M2.7"]),
            managed_key("旧的", models=["MiniMax-M2.7"]),
            managed_key("妮可", raw="sk-nicolekey0000000001", models=["New"], rpm_limit=1),
            key_row("manual", raw="sk-manualmanual0000002"),
        ],
        [
            model_row("c", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False),
            managed_model("gone", "Gone", {"model": "openai/gone"}),
        ],
    )
    return plan_changes(estate(ESTATE), live)


def test_changes_are_ordered_models_first_keys_then_model_deletes_last() -> None:
    plan = mixed_plan()
    assert [(c.action, c.target) for c in plan.changes] == [
        ("create_model", "new-model"),
        ("update_key", "妮可"),
        ("block_key", "旧的"),
        ("block_key", "李狗蛋"),
        ("delete_model", "gone"),
    ]


def test_summary_counts_every_action() -> None:
    assert mixed_plan().summary == {
        "adopt_model": 0,
        "create_model": 1,
        "update_model": 0,
        "update_routing": 0,
        "adopt_key": 0,
        "rotate_key": 0,
        "delete_key": 0,
        "create_key": 0,
        "update_key": 1,
        "unblock_key": 0,
        "block_key": 2,
        "delete_model": 1,
        # Every action of every kind is listed, those this plan has none of too.
        **{f"{verb}_team": 0 for verb in ("adopt", "create", "update", "unblock", "block",
                                           "delete")},
        **{f"{verb}_user": 0 for verb in ("adopt", "create", "update", "delete")},
        **{f"{verb}_budget": 0 for verb in ("create", "update", "delete")},
    }


def test_existing_counts_managed_keys_and_models_of_this_scope_apart() -> None:
    plan = mixed_plan()
    assert (plan.existing.get("key"), plan.existing.get("model")) == (3, 1)


def test_plan_sorts_changes_given_in_any_order() -> None:
    plan = Plan(changes=(Change("key", Verb.BLOCK, "b"), Change("key", Verb.CREATE, "z"),
                         Change("key", Verb.CREATE, "a")))
    assert [(c.action, c.target) for c in plan.changes] == [
        ("create_key", "a"),
        ("create_key", "z"),
        ("block_key", "b"),
    ]


def _plan(keys: int = 0, models: int = 0, **counts: int) -> Plan:
    kinds = {"updates": ("key", Verb.UPDATE), "blocks": ("key", Verb.BLOCK),
             "deletes": ("key", Verb.DELETE), "model_updates": ("model", Verb.UPDATE),
             "model_deletes": ("model", Verb.DELETE)}
    changes: list[Change] = [
        Change(*kinds[kind], target=f"{kind}{i}") for kind, n in counts.items() for i in range(n)
    ]
    changes += [Change("key", Verb.CREATE, f"c{i}") for i in range(20)]  # creates never count
    changes += [Change("model", Verb.CREATE, f"m{i}") for i in range(120)]
    return Plan(changes=tuple(changes), existing={"key": keys, "model": models})


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (_plan(keys=10, updates=4), "too many key updates: 40% is over 30% (4/10 managed keys)"),
        (_plan(keys=20, blocks=4, deletes=3),
         "too many key blocks and deletes: 35% is over 30% (7/20 managed keys)"),
        (_plan(keys=10, models=10, model_updates=4),
         "too many model updates: 40% is over 30% (4/10 managed models)"),
        (_plan(keys=10, models=10, model_deletes=4),
         "too many model deletes and re-creates: 40% is over 30% (4/10 managed models)"),
    ],
)
def test_each_kind_over_thirty_percent_is_unsafe_with_the_numbers(plan: Plan, message: str) -> None:
    with pytest.raises(UnsafePlanError) as caught:
        plan.raise_if_unsafe()
    assert str(caught.value) == message + "; --force required"


def test_many_models_do_not_dilute_removing_every_key() -> None:
    # Case 7 of the hardening issue: 120 models, then all 50 agents removed (29 % of 170).
    with pytest.raises(UnsafePlanError, match=r"key blocks and deletes: 100% .* \(50/50 managed"):
        _plan(keys=50, models=120, blocks=50).raise_if_unsafe()


def test_exactly_at_the_threshold_is_safe() -> None:
    _plan(keys=10, models=10, updates=3, blocks=3, model_updates=3, model_deletes=3)\
        .raise_if_unsafe()


def test_small_kinds_skip_the_check() -> None:
    assert Safety().min_existing == 10
    _plan(keys=9, models=9, updates=9, blocks=9, model_deletes=9).raise_if_unsafe()
    with pytest.raises(UnsafePlanError, match="model deletes"):
        _plan(keys=9, models=10, blocks=9, model_deletes=4).raise_if_unsafe()


def _replacement(target: str, *, blocked: bool) -> list[Change]:
    return [Change("key", Verb.DELETE, target, ref=f"tok-{target}", before={"blocked": blocked}),
            Change("key", Verb.CREATE, target)]


def test_replacing_a_blocked_key_whose_secret_was_lost_is_not_destructive() -> None:
    changes = [c for i in range(10) for c in _replacement(f"a{i}", blocked=True)]
    Plan(changes=tuple(changes), existing={"key": 10}).raise_if_unsafe()


def test_replacing_an_unblocked_key_counts_as_a_delete() -> None:
    # Someone set the undelivered marker on working keys: replacing them cuts agents off.
    changes = [c for i in range(4) for c in _replacement(f"a{i}", blocked=False)]
    with pytest.raises(UnsafePlanError, match=r"\(4/10 managed keys\)"):
        Plan(changes=tuple(changes), existing={"key": 10}).raise_if_unsafe()


def test_plan_data_survives_a_json_round_trip_except_the_safety_bases() -> None:
    plan = replace(mixed_plan(), desired_digest="d" * 64)
    saved = json.loads(json.dumps(plan.data, ensure_ascii=False))
    again = plan_from_data(saved)
    assert again == replace(plan, existing={})
    assert saved["existing_managed"] == {"keys": 3, "models": 1}
    assert again.changes == plan.changes and again.desired_digest == "d" * 64


def test_saved_bases_are_never_read_back() -> None:
    data = {**mixed_plan().data, "existing_managed": 10**6, "existing_keys": 10**6}
    again = plan_from_data(data)
    assert (again.existing.get("key", 0), again.existing.get("model", 0)) == (0, 0)


def test_changes_digest_catches_an_edited_change() -> None:
    data = mixed_plan().data
    data["changes"][0]["target"] = "sileya"
    with pytest.raises(PlanError) as caught:
        plan_from_data(data)
    assert str(caught.value) == (
        "the plan file's changes were edited after plan wrote them "
        "(changes_digest does not match); run plan again"
    )


def test_changes_digest_ignores_key_order_only() -> None:
    data = mixed_plan().data
    data["changes"] = [dict(reversed(list(c.items()))) for c in data["changes"]]
    assert plan_from_data(data).changes == mixed_plan().changes


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.update(target=["x"]),
        lambda c: c.update(after="models: []"),
        lambda c: c.update(ref=7),
        lambda c: c.update(action="drop_table"),
    ],
)
def test_plan_from_data_refuses_changes_of_the_wrong_shape(mutate: Any) -> None:
    data = mixed_plan().data
    mutate(data["changes"][0])
    data["changes_digest"] = digest_of(data["changes"])
    with pytest.raises(PlanError, match="plan file is damaged"):
        plan_from_data(data)


def test_desired_digest_ignores_file_layout_and_order() -> None:
    head, agents = ESTATE.split("agents:\n")
    lines = agents.rstrip("\n").split("\n")
    split = load_estate([
        Source("agents/b.yaml", f"agents:\n{lines[0]}\n"),
        Source("agents/a.yaml", f"agents:\n{lines[1]}\n"),
        Source("gateway.yaml", head),
    ])
    assert desired_digest(split) == desired_digest(estate(ESTATE))
    changed = estate(ESTATE.replace("rpm_limit: 5", "rpm_limit: 6"))
    assert desired_digest(changed) != desired_digest(estate(ESTATE))


@pytest.mark.parametrize("version", [0, 1, 2, 4, "3", None])
def test_plan_from_data_rejects_other_format_versions(version: Any) -> None:
    data = {**mixed_plan().data, "format_version": version}
    with pytest.raises(PlanError, match=f"not a plan file of format_version {FORMAT_VERSION}"):
        plan_from_data(data)


@pytest.mark.parametrize("field", ["desired_digest", "changes_digest", "changes"])
def test_plan_from_data_reports_a_damaged_file(field: str) -> None:
    data = mixed_plan().data
    del data[field]
    with pytest.raises(PlanError, match="plan file is damaged"):
        plan_from_data(data)


def test_plan_from_data_rejects_what_is_not_a_mapping() -> None:
    with pytest.raises(PlanError):
        plan_from_data([mixed_plan().data])


def _fingerprint(**changes: Any) -> str:
    row = managed_key("妮可", models=["A", "B"], max_budget=5.0, blocked=False)
    row.update(changes)
    return parse_live([row], []).fingerprint()


def test_fingerprint_follows_diffed_fields_but_not_spend() -> None:
    base = _fingerprint()
    assert _fingerprint(spend=123.45, last_active="2026-12-01") == base
    assert _fingerprint(models=["B", "A"]) == base
    for change in (
        {"max_budget": 6.0},
        {"blocked": True},
        {"models": ["A"]},
        {"key_alias": "妮可2"},
        {"metadata": {"managed_by": "reconciler", "team": "x"}},
    ):
        assert _fingerprint(**change) != base, change


def test_fingerprint_follows_models() -> None:
    def fp(rpm: int) -> str:
        return parse_live([], [managed_model("m", "M", {"model": "x/y", "rpm": rpm})]).fingerprint()

    assert fp(1) == fp(1)
    assert fp(1) != fp(2)


def test_a_saved_plan_of_the_previous_format_says_to_plan_again() -> None:
    # A format_version 2 file: changes named by action and key_id, no kinds or addresses.
    old = {"format_version": 2, "desired_digest": "d", "changes_digest": "c", "changes": [
        {"action": "create_key", "target": "x", "before": {}, "after": {}}]}
    with pytest.raises(PlanError) as caught:
        plan_from_data(old)
    assert str(caught.value) == ("not a plan file of format_version 3 (written by an older "
                                 "version of the tool); run plan again")
