"""Holds, drift, protected and ignore_fields in the pure diff, and the incident target."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.input.yamlsource import Source
from reconciler.core.kinds.key.holds import incident_target
from reconciler.core.kinds.key.metadata import key_spec
from reconciler.core.kinds.model.spec import model_record
from tests.unit.builders import estate, key_row, managed_key, managed_model, parse_live, problems_of

HEAD = "config_models: [MiniMax-M2.5]\n"
LI = "agents:\n  - {{name: 李狗蛋, owner: sileya, models: [MiniMax-M2.5], rpm_limit: 60{extra}}}\n"


def applied_key(extra: str = "", **live: Any) -> dict[str, Any]:
    """A key exactly as the tool last wrote it for LI + extra, then changed by `live`."""
    agent = estate(HEAD + LI.format(extra=extra)).agents[0]
    spec = key_spec(agent)
    row = key_row("李狗蛋", models=spec["models"], metadata=spec["metadata"], rpm_limit=60,
                  blocked=spec["blocked"] or None)
    row.update(live)
    return row


def plan(extra: str, *keys: dict[str, Any], models: list[dict[str, Any]] | None = None) -> Plan:
    return plan_changes(estate(HEAD + LI.format(extra=extra)), parse_live(list(keys), models or []))


def test_a_key_as_applied_plans_empty() -> None:
    assert plan("", applied_key()).changes == ()


def test_a_block_by_hand_is_held_not_undone() -> None:
    held = plan("", applied_key(blocked=True))
    assert held.changes == ()
    (entry,) = held.holds
    assert (entry.kind, entry.name) == ("held_key", "李狗蛋")
    assert "blocked outside desired/ (by hand)" in entry.detail
    assert held.data["holds"][0]["name"] == "李狗蛋"


def test_a_block_from_before_records_is_held_too() -> None:
    # No record: the tool cannot prove it made the block, so it keeps it.
    legacy = managed_key("李狗蛋", models=["MiniMax-M2.5"], rpm_limit=60, blocked=True)
    assert plan("", legacy).changes == () and len(plan("", legacy).holds) == 1


def test_a_block_desired_made_is_lifted_when_desired_says_so() -> None:
    tool_blocked = applied_key(", blocked: true", blocked=True)
    (change,) = plan("", tool_blocked).changes
    assert change.action == "unblock_key"
    assert change.spec["metadata"]["reconciler_applied"]["blocked"] is False  # type: ignore


def test_reconciler_block_reason_shows_and_desired_blocked_absorbs_it() -> None:
    metadata = {**applied_key()["metadata"],
                "reconciler_hold": {"reason": "spend 10x", "at": "2026-11-25T10:00:00+00:00"}}
    key = applied_key(blocked=True, metadata=metadata)
    (entry,) = plan("", key).holds
    assert "spend 10x" in entry.detail and "2026-11-25T10:00:00+00:00" in entry.detail
    (absorb,) = plan(", blocked: true", key).changes
    assert absorb.action == "update_key" and "hold becomes desired state" in str(absorb.reason)
    assert "reconciler_hold" not in absorb.after["metadata"]
    assert absorb.after["metadata"]["reconciler_applied"]["blocked"] is True


def test_updating_a_held_key_keeps_it_blocked_and_keeps_the_hold() -> None:
    metadata = {**applied_key()["metadata"], "reconciler_hold": {"reason": "x", "at": "t"}}
    key = applied_key(blocked=True, metadata=metadata)
    (change,) = plan("", {**key, "rpm_limit": 5}).changes
    assert change.action == "update_key" and "blocked" not in change.after
    assert change.after["metadata"]["reconciler_hold"] == {"reason": "x", "at": "t"}


def test_drift_is_a_live_change_a_desired_change_is_not() -> None:
    (drifted,) = plan("", applied_key(rpm_limit=5)).changes
    assert drifted.drift is True and drifted.data["drift"] is True
    (desired,) = plan_changes(
        estate(HEAD + LI.format(extra="").replace("rpm_limit: 60", "rpm_limit: 70")),
        parse_live([applied_key()], []),
    ).changes
    assert desired.drift is False


def test_unblocked_by_hand_is_drift() -> None:
    (change,) = plan(", blocked: true", applied_key(", blocked: true", blocked=False)).changes
    assert change.action == "block_key" and change.drift is True


def test_ignored_fields_are_not_compared_and_kept_when_writing() -> None:
    extra = ", max_budget: 10, ignore_fields: [max_budget, metadata.cost_center]"
    base = applied_key(extra)
    other_system = {**base, "max_budget": 500,
                    "metadata": {**base["metadata"], "cost_center": "cc-9"}}
    assert plan(extra, other_system).changes == ()
    (change,) = plan(extra, {**other_system, "rpm_limit": 1}).changes
    assert "max_budget" not in change.after
    assert change.after["metadata"]["cost_center"] == "cc-9"


def test_protected_key_is_never_retired() -> None:
    gone = applied_key(", protected: true")
    other = "agents:\n  - {name: 妮可, owner: x, models: [MiniMax-M2.5]}\n"
    result = plan_changes(estate(HEAD + other), parse_live([gone], []))
    assert [c.action for c in result.changes] == ["create_key"]
    assert any("is protected" in w for w in result.warnings)


MODEL = """\
models:
  - id: m25
    model_name: MiniMax-M2.5
    litellm_params: {{model: minimax/MiniMax-M2.5, api_key: os.environ/K{params}}}
{extra}"""


def live_model(extra: str = "", params: str = "", **shown: Any) -> dict[str, Any]:
    model = estate(MODEL.format(params=params, extra=extra)).models[0]
    row = managed_model("m25", "MiniMax-M2.5", dict(model.litellm_params))
    row["model_info"]["reconciler"] = model_record(model)
    row["litellm_params"].update(shown)
    return row


def model_plan(extra: str, row: dict[str, Any], params: str = "") -> Plan:
    return plan_changes(estate(MODEL.format(params=params, extra=extra)), parse_live([], [row]))


def test_model_drift_and_ignored_params() -> None:
    assert model_plan("", live_model(params=", rpm: 60"), ", rpm: 60").changes == ()
    (drift,) = model_plan("", live_model(params=", rpm: 60", rpm=5), ", rpm: 60").changes
    assert drift.drift is True and drift.after == {"litellm_params": {"rpm": 60}}
    ignore = "    ignore_fields: [litellm_params.rpm]\n"
    assert model_plan(ignore, live_model(ignore, ", rpm: 60", rpm=5), ", rpm: 60").changes == ()


def test_protected_model_is_never_deleted_or_recreated() -> None:
    protected = live_model("    protected: true\n", ", rpm: 60")
    gone = plan_changes(estate(HEAD), parse_live([], [protected]))
    assert gone.changes == () and "is protected" in gone.warnings[0]
    with pytest.raises(PlanError, match="protected and removing a setting re-creates it"):
        model_plan("    protected: true\n", protected)


def test_ignore_fields_names_are_checked() -> None:
    problems = problems_of([Source("d.yaml", HEAD + LI.format(extra=", ignore_fields: [spend]"))])
    assert any("cannot ignore 'spend'" in p for p in problems)


def test_incident_target_refuses_pinned_foreign_and_missing() -> None:
    desired = estate(HEAD + LI.format(extra="") + "pinned: [{alias: sileya}]\n")
    keys = parse_live([applied_key(), key_row("sileya"), key_row("legacy")], []).part("key")
    assert incident_target(desired, keys, "李狗蛋").alias == "李狗蛋"
    for agent, message in (("sileya", "pinned"), ("legacy", "not by scope"),
                           ("nobody", "no key of agent")):
        with pytest.raises(PlanError, match=message):
            incident_target(desired, keys, agent)


def test_drift_renderer_lists_only_drift_and_holds() -> None:
    from io import StringIO

    from reconciler.core.render import render

    metadata = {**applied_key()["metadata"], "reconciler_hold": {"reason": "x", "at": "t"}}
    held = applied_key(blocked=True, metadata=metadata, rpm_limit=5)
    out = StringIO()
    render(plan("", held), out, fmt="drift")
    text = out.getvalue()
    assert "**1 object(s) changed outside desired/.**" in text
    assert "!     rpm_limit: 5 → 60" in text and "held: 李狗蛋" in text
    quiet = StringIO()
    render(plan("", applied_key()), quiet, fmt="drift")
    assert "No drift" in quiet.getvalue()


def test_an_incident_block_on_a_desired_block_outlives_a_later_blocked_false() -> None:
    # desired/ blocked it, then `reconciler block` recorded an incident on the same key.
    tool = applied_key(", blocked: true", blocked=True)
    metadata = {**tool["metadata"], "reconciler_hold": {"reason": "fraud", "at": "t"}}
    incident = {**tool, "metadata": metadata}
    lifted = plan("", incident)  # desired/ now says blocked: false: recorded, not unblocked
    assert [c.action for c in lifted.changes] == ["update_key"]
    assert "blocked" not in lifted.changes[0].after
    assert lifted.changes[0].after["metadata"]["reconciler_hold"]["reason"] == "fraud"
    assert [h.name for h in lifted.holds] == ["李狗蛋"]
    (absorb,) = plan(", blocked: true", incident).changes  # still declared: absorbed
    assert "reconciler_hold" not in absorb.after["metadata"]


def test_an_absorbed_hold_keeps_its_reason_and_time_on_the_key() -> None:
    """reconciler block, then blocked: true in desired/: the incident's story stays on the key
    while desired/ keeps it blocked; a later blocked: false is a reviewed unblock, not a hold."""
    hold = {"reason": "spend 10x", "at": "2026-11-25T10:00:00+00:00", "by": "reconciler block"}
    key = applied_key(blocked=True, metadata={**applied_key()["metadata"],
                                              "reconciler_hold": hold})
    (absorb,) = plan(", blocked: true", key).changes
    written = absorb.after["metadata"]
    assert "reconciler_hold" not in written
    assert written["reconciler_block"] == {**hold, "absorbed": "desired/ declares blocked: true"}
    after = {**key, "metadata": written}
    again = plan(", blocked: true", after)
    assert not again.changes and not again.holds
    # Another change on the blocked agent keeps the story.
    (update,) = plan(", blocked: true, max_budget: 5", after).changes
    assert update.after["metadata"]["reconciler_block"]["reason"] == "spend 10x"
    # blocked: false is a reviewed unblock: no hold, and the story goes with the block.
    (unblock,) = plan("", after).changes
    assert unblock.action == "unblock_key"
    assert "reconciler_block" not in (unblock.spec or {}).get("metadata", {})
