"""Users and budgets on their own: drift, protected, adoption, and the guard's refusals."""

from __future__ import annotations

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.errors import ForbiddenChangeError
from tests.unit.teams_world import DESIRED, applied_rows, declared, live, only, plan_of, team_key


def _scout(state) -> dict:
    return team_key("scout", only(state, "research")["team_id"], "reconciler:shared-small")


def test_a_user_changed_by_hand_is_drift_and_a_protected_one_stays() -> None:
    text = DESIRED.replace("{id: bob}", "{id: bob, protected: true}")
    state, _ = applied_rows(text)
    state.users["alice"]["user_email"] = "someone@else.example"
    (change,) = plan_of(text, [_scout(state)], state).changes
    assert (change.action, change.target, change.drift) == ("update_user", "alice", True)
    assert change.after["email"] == "alice@example.com"
    gone = plan_of(text.replace("  - {id: bob, protected: true}\n", "").replace(
        "{scope: default}", "{scope: default, removed_users: delete}"), [_scout(state)], state)
    assert [c.action for c in gone.changes] == ["update_user"]  # only alice's drift
    assert "user 'bob' left desired/ but is protected: it stays" in gone.warnings


def test_a_budget_the_tool_did_not_create_is_used_in_place_when_adopted() -> None:
    state, _ = applied_rows()
    row = state.budgets.pop("reconciler:shared-small")
    state.budgets["shared-small"] = {**row, "budget_id": "shared-small", "max_budget": 3.0}
    plan = plan_of(DESIRED, [], state)
    assert "budget 'shared-small': an unmanaged budget has that id; the tool creates its own " \
        "(reconciler:shared-small); `adopt: true` uses that one instead" in plan.warnings
    adopting = DESIRED.replace("{name: shared-small,", "{name: shared-small, adopt: true,")
    plan = plan_of(adopting, [], state)
    budget = next(c for c in plan.changes if c.kind == "budget")
    assert (budget.action, budget.ref, budget.after) == ("update_budget", "shared-small",
                                                         {"max_budget": 10})
    key = next(c for c in plan.changes if c.kind == "key")
    assert key.after["budget_id"] == "shared-small"  # the key draws on the adopted budget
    Guard(GuardContext.build(declared(adopting), live([], state)))(budget)


@pytest.mark.parametrize(("change", "message"), [
    (Change("user", Verb.CREATE, "carol", after={"user_id": "carol"}),
     "desired/ declares no such user"),
    (Change("user", Verb.CREATE, "alice", after={"user_id": "alice", "auto_create_key": True,
                                                  "metadata": {"managed_by": "reconciler"}}),
     "a user with that id already exists"),
    (Change("user", Verb.UPDATE, "alice", ref="alice", after={"role": "proxy_admin",
                                                             "metadata": {}}),
     "its metadata must keep this scope's marker"),
    (Change("user", Verb.UPDATE, "alice", ref="alice", after={"user_role": "proxy_admin"}),
     "never writes: user_role"),
    (Change("user", Verb.DELETE, "alice", ref="alice"), "desired/ still declares it"),
    (Change("budget", Verb.DELETE, "shared-small", ref="reconciler:shared-small"),
     "desired/ still declares it"),
    (Change("budget", Verb.UPDATE, "shared-small", ref="reconciler:shared-small",
            after={"model_max_budget": {}}), "never writes: model_max_budget"),
])
def test_the_guard_refuses_what_desired_does_not_ask(change: Change, message: str) -> None:
    state, _ = applied_rows()
    guard = Guard(GuardContext.build(declared(DESIRED), live([], state)))
    with pytest.raises(ForbiddenChangeError, match=message):
        guard(change)
