"""The Plan value: order, summary, safety thresholds, saved-plan round trip, live fingerprint."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.core.changes import BlockKey, Change, CreateKey, UpdateKey
from reconciler.core.diff import plan_changes
from reconciler.core.errors import PlanError, UnsafePlanError
from reconciler.core.live import parse_live
from reconciler.core.plan import FORMAT_VERSION, Plan, plan_from_data
from tests.unit.builders import estate, key_row, managed_key, managed_model, model_row

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
    assert [(c.action.value, c.target) for c in plan.changes] == [
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
        "update_fallbacks": 0,
        "adopt_key": 0,
        "delete_key": 0,
        "create_key": 0,
        "update_key": 1,
        "unblock_key": 0,
        "block_key": 2,
        "delete_model": 1,
    }


def test_existing_managed_counts_managed_keys_and_models_only() -> None:
    assert mixed_plan().existing_managed == 4


def test_plan_sorts_changes_given_in_any_order() -> None:
    plan = Plan(changes=(BlockKey(target="b"), CreateKey(target="z"), CreateKey(target="a")))
    assert [(c.action.value, c.target) for c in plan.changes] == [
        ("create_key", "a"),
        ("create_key", "z"),
        ("block_key", "b"),
    ]


def _plan(existing: int, updates: int = 0, blocks: int = 0) -> Plan:
    changes: list[Change] = [UpdateKey(target=f"u{i}") for i in range(updates)]
    changes += [BlockKey(target=f"b{i}") for i in range(blocks)]
    changes += [CreateKey(target=f"c{i}") for i in range(20)]  # creates never count
    return Plan(changes=tuple(changes), existing_managed=existing)


def test_updates_over_thirty_percent_are_unsafe_with_the_numbers() -> None:
    with pytest.raises(UnsafePlanError) as caught:
        _plan(existing=10, updates=4).raise_if_unsafe()
    assert str(caught.value) == (
        "too many updates: 40% is over 30% (4/10 managed objects); --force required"
    )


def test_blocks_and_deletes_over_thirty_percent_are_unsafe_with_the_numbers() -> None:
    with pytest.raises(UnsafePlanError) as caught:
        _plan(existing=20, blocks=7).raise_if_unsafe()
    assert str(caught.value) == (
        "too many blocks and deletes: 35% is over 30% (7/20 managed objects); --force required"
    )


def test_exactly_at_the_threshold_is_safe() -> None:
    _plan(existing=10, updates=3, blocks=3).raise_if_unsafe()


def test_small_estates_skip_the_check() -> None:
    assert Plan.MIN_EXISTING_MANAGED == 10
    _plan(existing=9, updates=9, blocks=9).raise_if_unsafe()


def test_plan_data_survives_a_json_round_trip() -> None:
    plan = mixed_plan()
    saved = json.loads(json.dumps(plan.data, ensure_ascii=False))
    again = plan_from_data(saved)
    assert again == plan
    assert again.data == plan.data


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_plan_from_data_rejects_other_format_versions(version: Any) -> None:
    data = {**mixed_plan().data, "format_version": version}
    with pytest.raises(PlanError, match=f"not a plan file of format_version {FORMAT_VERSION}"):
        plan_from_data(data)


def test_plan_from_data_reports_a_damaged_file() -> None:
    data = mixed_plan().data
    del data["live_fingerprint"]
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
