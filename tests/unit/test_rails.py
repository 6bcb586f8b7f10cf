"""Safety rails at plan time: limits from desired/, the evaluation in the plan, approvals."""

from __future__ import annotations

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.rails import totals
from reconciler.core.errors import DesiredError, UnsafePlanError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.safety import LargeChangeApproval, Safety
from reconciler.core.input.yamlsource import Source


def _blocks(n: int) -> tuple[Change, ...]:
    return tuple(Change("key", Verb.BLOCK, f"b{i}") for i in range(n))


def _plan(changes: tuple[Change, ...], safety: Safety | None = None, *, keys: int = 10,
          models: int = 10, at: str = "") -> Plan:
    return Plan(changes=changes, existing={"key": keys, "model": models},
                safety=safety or Safety(), approval_at=at)


def test_the_plan_carries_every_rail_with_its_numbers() -> None:
    data = _plan(_blocks(4)).data["safety"]
    assert data["verdict"] == "refused"
    assert data["rails"][1] == {"kind": "key", "measure": "destroy", "count": 4, "base": 10,
                                "share": 0.4, "limit": 0.3, "checked": True, "exceeded": True}
    assert [r["exceeded"] for r in data["rails"]] == [False, True, False, False]
    assert data["approval"] is None


def test_limits_come_from_settings() -> None:
    approval = LargeChangeApproval(reason="a wider destroy rail", max_changes=4)
    loose = Safety(max_destroy_share=0.5, approve_large_change=approval)
    assert _plan(_blocks(4), loose).rails.verdict == "approved"
    _plan(_blocks(4), loose).raise_if_unsafe()
    strict = Safety(max_update_share=0.1)
    updates = tuple(Change("key", Verb.UPDATE, f"u{i}") for i in range(2))
    with pytest.raises(UnsafePlanError, match=r"key updates: 20% is over 10% \(2/10"):
        _plan(updates, strict).raise_if_unsafe()


def test_min_existing_from_settings() -> None:
    approval = LargeChangeApproval(reason="few keys", max_changes=4)
    raised = Safety(min_existing=11, approve_large_change=approval)
    assert _plan(_blocks(4), raised).rails.verdict == "approved"
    assert _plan(_blocks(4), Safety(min_existing=0), keys=10).rails.verdict == "refused"


def test_an_approval_lets_a_plan_of_its_size_through_and_says_where() -> None:
    approval = LargeChangeApproval(reason="retire the pilot agents", max_changes=4)
    plan = _plan(_blocks(4), Safety(approve_large_change=approval), at="desired/gw.yaml:12")
    plan.raise_if_unsafe()
    assert plan.rails.verdict == "approved"
    assert plan.rails.headline() == ("Large change approved in desired/gw.yaml:12: retire the "
                                     "pilot agents (up to 4 change(s), this plan has 4)")
    assert plan.data["safety"]["approval"] == {"reason": "retire the pilot agents",
                                               "max_changes": 4,
                                               "declared_at": "desired/gw.yaml:12"}


def test_a_plan_bigger_than_approved_is_still_refused() -> None:
    approval = LargeChangeApproval(reason="retire the pilot agents", max_changes=4)
    plan = _plan(_blocks(5), Safety(approve_large_change=approval), at="desired/gw.yaml:12")
    assert plan.rails.verdict == "refused"
    assert "REFUSED" in (plan.rails.headline() or "")
    with pytest.raises(UnsafePlanError) as caught:
        plan.raise_if_unsafe()
    assert str(caught.value) == (
        "too many key blocks and deletes: 50% is over 30% (5/10 managed keys); the approval "
        "in desired/gw.yaml:12 covers 4 change(s), this plan has 5; --force required")


def test_without_an_approval_the_headline_says_how_to_declare_one() -> None:
    assert "approve_large_change" in (_plan(_blocks(4)).rails.headline() or "")
    assert _plan(_blocks(3)).rails.headline() is None


def test_a_model_replacement_counts_as_a_destroy_and_an_add() -> None:
    recreate = Change("model", Verb.UPDATE, "m", before={"litellm_params": {"rpm": 5}},
                           after={"litellm_params": {"rpm": None}})
    update = Change("model", Verb.UPDATE, "n", before={"model_name": "a"},
                    after={"model_name": "b"})
    plan = _plan((recreate, update), models=2)
    assert totals(plan.changes) == {"add": 1, "change": 1, "destroy": 1, "replace": 1,
                                    "rotate": 0, "block": 0, "unblock": 0, "adopt": 0}
    rails = {(r.kind, r.measure): r.count for r in plan.rails.rails}
    assert rails[("model", "destroy")] == 1 and rails[("model", "update")] == 1
    four = tuple(Change("model", Verb.UPDATE, f"m{i}", after={"model_info": {"x": None}})
                 for i in range(4))
    with pytest.raises(UnsafePlanError, match="model deletes and re-creates: 40%"):
        _plan(four).raise_if_unsafe()


def test_a_key_replacement_is_an_add_and_a_destroy() -> None:
    changes = (Change("key", Verb.DELETE, "a", before={"blocked": False}), Change("key",
                                                                                  Verb.CREATE, "a"),
               Change("model", Verb.CREATE, "m"))
    assert totals(changes) == {"add": 2, "change": 0, "destroy": 1, "replace": 1,
                               "rotate": 0, "block": 0, "unblock": 0, "adopt": 0}


def test_safety_settings_and_the_approval_line_are_read_from_desired() -> None:
    estate = load_estate([Source("desired/gateway.yaml", (
        "agents: []\n"
        "settings:\n"
        "  safety:\n"
        "    max_update_share: 0.5\n"
        "    approve_large_change:\n"
        "      reason: move every agent to the new budget\n"
        "      max_changes: 40\n"))])
    assert estate.settings.safety.max_update_share == 0.5
    assert estate.settings.safety.approve_large_change is not None
    assert estate.approval_at == "desired/gateway.yaml:5"


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("settings: {safety: {max_update_share: 1.5}}\n", "settings.safety.max_update_share"),
        ("settings: {safety: {approve_large_change: {reason: '', max_changes: 3}}}\n",
         "settings.safety.approve_large_change.reason"),
        ("settings: {safety: {approve_large_change: {reason: x}}}\n",
         "settings.safety.approve_large_change"),
        ("settings: {safety: {approve_large_change: {reason: x, max_changes: 0}}}\n",
         "settings.safety.approve_large_change.max_changes"),
        ("settings: {safety: {allow_everything: true}}\n", "settings.safety"),
    ],
)
def test_bad_safety_settings_are_located(yaml_text: str, field: str) -> None:
    with pytest.raises(DesiredError) as caught:
        load_estate([Source("desired/gateway.yaml", yaml_text)])
    assert any(p.file == "desired/gateway.yaml" and p.field.startswith(field)
               for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("loose", [
    {"min_existing": 99999999}, {"max_destroy_share": 1.0}, {"max_update_share": 0.31}])
def test_a_loosened_rail_is_itself_a_large_change(loose: dict[str, float]) -> None:
    # One settings line must not switch a rail off: without an approval apply refuses, and
    # every plan says which limit was loosened from what.
    plan = _plan(_blocks(1), Safety(**loose))
    assert plan.rails.verdict == "refused"
    name = next(iter(loose))
    assert f"SAFETY RAILS LOOSENED in desired/ ({name} " in (plan.rails.headline() or "")
    assert plan.data["safety"]["loosened"] == [f"{name} {loose[name]} (default "
                                               f"{Safety.model_fields[name].default})"]
    with pytest.raises(UnsafePlanError, match=r"loosened in desired/.*--force required"):
        plan.raise_if_unsafe()
    approval = LargeChangeApproval(reason="raise the rail", max_changes=1)
    approved = _plan(_blocks(1), Safety(**loose, approve_large_change=approval))
    assert approved.rails.verdict == "approved"
    assert "safety rails loosened" in (approved.rails.headline() or "")


def test_tightened_rails_need_no_approval() -> None:
    assert _plan(_blocks(1), Safety(min_existing=3, max_destroy_share=0.2)).rails.verdict \
        == "passed"
