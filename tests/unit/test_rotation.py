"""Declared key rotation: the plan, what a later plan does with the rotated-out key, the guard,
the executor's calls, and how the plan reads."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from typing import Any

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import ForbiddenChangeError
from reconciler.core.render import render
from reconciler.gateway.executor import apply_plan
from tests.unit.builders import estate, key_row, managed_key, model_row, parse_live, token_of
from tests.unit.fake_gateway import FakeGateway
from tests.unit.test_apply import RecordingSink

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)
CONFIG = [model_row("cfg", "M", {"model": "x/m"}, db_model=False)]
PINNED_RAW = "sk-sileyaPINNEDraw0001"


def desired(agent: str = "{name: writer, owner: ops, models: [M], rotation: 1}") -> Any:
    return estate(
        f"pinned:\n  - {{alias: sileya, key_sha256: {token_of(PINNED_RAW)}}}\n"
        f"config_models: [M]\nagents:\n  - {agent}\n"
    )


def writer(**metadata: Any) -> dict[str, Any]:
    return managed_key("writer", "ops", models=["M"], raw="sk-writerOLDraw0001",
                       metadata=metadata)


def rotated_out(expires: dt.datetime | None, *, agent: str = "writer", serial: int = 0,
                blocked: bool | None = None) -> dict[str, Any]:
    row = managed_key(
        f"{agent}#rotation-{serial}", "ops", models=["M"], raw=f"sk-{agent}ROTATED{serial}",
        blocked=blocked,
        metadata={"reconciler_rotated": {"agent": agent, "serial": serial, "next": serial + 1,
                                         "grace": "1d"}},
    )
    row["metadata"]["agent"] = agent
    row["expires"] = None if expires is None else expires.isoformat()
    return row


def live(*rows: dict[str, Any]) -> LiveState:
    pinned = key_row("sileya", raw=PINNED_RAW, models=["M"])
    return parse_live([pinned, *rows], CONFIG, read_at=NOW)


def plan_of(text: str, *rows: dict[str, Any]) -> Plan:
    return plan_changes(desired(text), live(*rows))


def actions(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action, c.target) for c in plan.changes]


def test_a_bumped_serial_moves_the_old_key_out_then_creates_its_successor() -> None:
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1, rotation_grace: 2h}",
                   writer())
    assert actions(plan) == [("rotate_key", "writer"), ("create_key", "writer")]
    rotate, create = plan.changes
    assert rotate.ref == token_of("sk-writerOLDraw0001")
    assert rotate.after["key_alias"] == "writer#rotation-0"
    assert rotate.after["duration"] == "2h"
    assert rotate.after["metadata"]["reconciler_rotated"] == {
        "agent": "writer", "serial": 0, "next": 1, "grace": "2h"}
    assert rotate.after["metadata"]["agent"] == "writer"  # usage still finds the agent
    assert create.after["metadata"]["reconciler_rotation"] == 1
    assert create.spec == {"spend_from": rotate.ref}


def test_a_rotated_out_alias_still_taken_gets_a_suffix() -> None:
    # The agent was removed and declared again: its new key starts at serial 0 once more.
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}", writer(),
                   rotated_out(NOW - dt.timedelta(days=30), blocked=True))
    assert plan.changes[0].after["key_alias"] == "writer#rotation-0.2"
    guard, _ = guard_for(writer(), rotated_out(NOW - dt.timedelta(days=30), blocked=True))
    guard(plan.changes[0])


def test_the_key_of_the_declared_serial_is_left_alone() -> None:
    assert not plan_of("{name: writer, owner: ops, models: [M], rotation: 1}",
                       writer(reconciler_rotation=1)).has_changes


def test_a_new_agent_is_created_with_its_serial_and_nothing_rotates() -> None:
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 4}")
    assert actions(plan) == [("create_key", "writer")]
    assert plan.changes[0].after["metadata"]["reconciler_rotation"] == 4
    assert plan.changes[0].spec is None


@pytest.mark.parametrize(
    ("agent", "metadata", "warning"),
    [
        ("{name: writer, owner: ops, models: [M], rotation: 1}", {"reconciler_rotation": 3},
         "rotation 1 is below its key's 3"),
        ("{name: writer, owner: ops, models: [M], rotation: 2, protected: true}", {},
         "is protected"),
        ("{name: writer, owner: ops, models: [M], rotation: 2}",
         {"reconciler_hold": {"reason": "incident"}}, "held blocked outside desired/"),
    ],
)
def test_a_rotation_that_must_wait_is_a_warning_not_a_change(
    agent: str, metadata: dict[str, Any], warning: str
) -> None:
    row = writer(**metadata)
    row["blocked"] = "reconciler_hold" in metadata or None
    plan = plan_of(agent, row)
    assert not any(c.action == "rotate_key" for c in plan.changes)
    assert any(warning in w for w in plan.warnings), plan.warnings


def test_a_rotated_out_key_in_its_grace_period_is_listed_not_changed() -> None:
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}",
                   writer(reconciler_rotation=1), rotated_out(NOW + dt.timedelta(hours=1)))
    assert not plan.has_changes
    [entry] = [u for u in plan.untouched if u.kind == "rotating_key"]
    assert entry.name == "writer#rotation-0"
    assert "works until 2026-11-25T13:00:00Z" in entry.detail


@pytest.mark.parametrize("expires", [NOW - dt.timedelta(seconds=1), NOW, None])
def test_a_rotated_out_key_is_blocked_once_its_grace_period_is_over(
    expires: dt.datetime | None,
) -> None:
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}",
                   writer(reconciler_rotation=1), rotated_out(expires))
    assert actions(plan) == [("block_key", "writer#rotation-0")]
    block = plan.changes[0]
    assert "rotated out of 'writer'" in str(block.reason)
    assert block.spec is not None
    assert block.spec["metadata"]["reconciler_applied"]["blocked"] is True
    blocked = rotated_out(expires, blocked=True)
    assert not plan_of("{name: writer, owner: ops, models: [M], rotation: 1}",
                       writer(reconciler_rotation=1), blocked).has_changes


def test_without_a_clock_a_key_with_an_expiry_is_never_blocked() -> None:
    state = replace(live(writer(reconciler_rotation=1), rotated_out(NOW)), read_at=None)
    assert not plan_changes(desired(), state).has_changes


def test_a_removed_agent_retires_its_rotated_out_keys_too() -> None:
    plan = plan_changes(
        estate("config_models: [M]\nagents: []\n"),
        live(writer(reconciler_rotation=1), rotated_out(NOW + dt.timedelta(days=1))),
    )
    assert sorted(actions(plan)) == [("block_key", "writer"), ("block_key", "writer#rotation-0")]


def test_a_rotation_stopped_before_the_successor_creates_it_with_the_old_spend() -> None:
    out = rotated_out(NOW + dt.timedelta(hours=1))
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}", out)
    assert actions(plan) == [("create_key", "writer")]
    assert plan.changes[0].spec == {"spend_from": out["token"]}


def test_the_rotation_plan_reads_as_a_rotation_and_counts_apart() -> None:
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}", writer())
    text = io.StringIO()
    render(plan, text)
    out = text.getvalue()
    assert "⟳ rotate key writer (sk-...0001)  # rotation 0 → 1" in out
    assert 'key_alias: "writer" → "writer#rotation-0"' in out
    assert 'duration: null → "1d"' in out
    assert "reconciler_rotated" not in out  # the tool's bookkeeping stays out of the review
    assert "Plan: 1 to add, 0 to change, 0 to destroy, 1 to rotate." in out


def test_rotating_every_key_trips_the_update_rail() -> None:
    rows = [managed_key(f"a{i}", "ops", models=["M"]) for i in range(12)]
    agents = "".join(f"  - {{name: a{i}, owner: ops, models: [M], rotation: 1}}\n"
                     for i in range(12))
    plan = plan_changes(estate(f"config_models: [M]\nagents:\n{agents}"), live(*rows))
    assert plan.rails.exceeded[0].label == "key updates"


# --- the guard -------------------------------------------------------------------------


def guard_for(*rows: dict[str, Any]) -> tuple[Guard, Plan]:
    state = live(*rows)
    return Guard(GuardContext.build(desired(), state)), plan_changes(desired(), state)


def test_the_honest_rotation_passes_the_guard_in_plan_order() -> None:
    guard, plan = guard_for(writer())
    for change in plan.changes:
        guard(change)


def test_a_create_over_a_working_key_without_its_rotation_is_refused() -> None:
    guard, plan = guard_for(writer())
    with pytest.raises(ForbiddenChangeError, match="a working managed key with that alias"):
        guard(plan.changes[1])


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda c: replace(c, ref=token_of(PINNED_RAW), target="sileya"), "pinned"),
        (lambda c: replace(c, after={**c.after, "key_alias": "elsewhere"}),
         "must move the key to the alias writer#rotation-N"),
        (lambda c: replace(c, after={**c.after, "duration": None}), "needs a lifetime"),
        (lambda c: replace(c, after={**c.after, "team_id": "t"}), "never writes: team_id"),
        (lambda c: replace(c, after={**c.after, "metadata": {"managed_by": "reconciler"}}),
         "must record the rotation of this agent"),
    ],
)
def test_a_tampered_rotation_is_refused(tamper: Any, message: str) -> None:
    guard, plan = guard_for(writer())
    with pytest.raises(ForbiddenChangeError, match=message):
        guard(tamper(plan.changes[0]))


def test_a_rotation_of_an_unmanaged_key_is_refused() -> None:
    foreign = key_row("writer", raw="sk-handmadeRAW0001", models=["M"])
    guard = Guard(GuardContext.build(desired(), live(foreign)))
    rotate = Change("key", Verb.ROTATE, "writer", ref=foreign["token"],
                       after={"key_alias": "writer#rotation-0", "duration": "1d",
                              "metadata": {"managed_by": "reconciler"}})
    with pytest.raises(ForbiddenChangeError, match="not managed by this scope"):
        guard(rotate)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (token_of(PINNED_RAW), "not a managed key of this scope"),
        (token_of("sk-otherAGENTraw001"), "another agent's key"),
    ],
)
def test_a_successor_takes_spend_only_from_its_own_agents_key(source: str, message: str) -> None:
    other = managed_key("other", "ops", models=["M"], raw="sk-otherAGENTraw001")
    guard, plan = guard_for(writer(), other)
    create = next(c for c in plan.changes if c.action == "create_key")
    guard(plan.changes[0])
    with pytest.raises(ForbiddenChangeError, match=message):
        guard(replace(create, spec={"spend_from": source}))


# --- the executor ----------------------------------------------------------------------


def test_apply_renames_the_old_key_then_creates_the_successor_with_its_spend() -> None:
    _, plan = guard_for(writer())
    fake = FakeGateway(answers={"POST /key/update": {"spend": 3.25}})
    sink = RecordingSink()
    report = apply_plan(plan, fake.client(), sink)
    assert report.ok, report.data
    (_, _, update), (_, _, generate) = fake.calls[:2]
    assert update["key"] == token_of("sk-writerOLDraw0001")
    assert update["key_alias"] == "writer#rotation-0" and update["duration"] == "1d"
    assert generate["key_alias"] == "writer" and generate["spend"] == 3.25
    assert [agent for agent, _, _ in sink.delivered] == ["writer"]
    rotated = report.data["steps"][0]
    assert rotated["message"] == "moved to writer#rotation-0; works for 1d more"


def test_a_resumed_rotation_reads_the_old_keys_spend_first() -> None:
    out = rotated_out(NOW + dt.timedelta(hours=1))
    plan = plan_of("{name: writer, owner: ops, models: [M], rotation: 1}", out)
    fake = FakeGateway(answers={"GET /key/info": {"key": out["token"], "info": {"spend": 1.5}}})
    assert apply_plan(plan, fake.client(), RecordingSink()).ok
    generate = next(body for _, path, body in fake.calls if path == "/key/generate")
    assert generate["spend"] == 1.5
