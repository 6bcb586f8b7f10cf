"""A small team-shaped gateway for the unit suite: desired/ text, and live rows made by the
sandbox's own handlers (so a team carries the creator admin the real proxy adds)."""

from __future__ import annotations

from typing import Any

from reconciler.core import registry
from reconciler.core.engine.changes import Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.input.desired import Estate
from reconciler.sandbox import budgets, teams, usertable
from reconciler.sandbox.context import Call
from reconciler.sandbox.state import State
from tests.unit.builders import estate, managed_key, model_row

DESIRED = """\
settings: {scope: default}
pinned: [{alias: sileya}]
config_models: [MiniMax-M2.5, MiniMax-M2.7]
budgets:
  - {name: shared-small, max_budget: 10, rpm_limit: 5}
users:
  - {id: alice, email: alice@example.com}
  - {id: bob}
teams:
  - name: research
    models: [MiniMax-M2.5, MiniMax-M2.7]
    max_budget: 100
    budget_duration: 30d
    members: [{user: alice, role: user}]
agents:
  - {name: scout, owner: sileya, team: research, budget: shared-small, models: [MiniMax-M2.5]}
"""
_HANDLERS = {"team": teams.team_new, "user": usertable.user_new, "budget": budgets.budget_new}


def applied_rows(text: str = DESIRED) -> tuple[State, dict[str, Any]]:
    """The gateway after applying `text` to an empty one (teams, users, budgets; keys as the
    key builders make them), as read rows per kind."""
    state = State()
    plan = plan_changes(estate(text), live([], state))
    for change in plan.changes:
        if change.verb is Verb.CREATE and change.kind in _HANDLERS:
            _HANDLERS[change.kind](state, Call("POST", "/", body=dict(change.after)))
    return state, rows_of(state)


def rows_of(state: State, keys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"key": keys or [], "model": [model_row("c1", "MiniMax-M2.5", {"model": "x"},
                                                   db_model=False)],
            "team": list(state.teams.values()), "user": list(state.users.values()),
            "budget": list(state.budgets.values())}


def live(keys: list[dict[str, Any]], state: State) -> LiveState:
    return registry.parse_live(rows_of(state, keys))


def team_key(alias: str, team_id: str | None, budget_id: str | None = None,
             **fields: Any) -> dict[str, Any]:
    """A managed key as the tool made it, in a team and on a budget."""
    row = managed_key(alias, models=["MiniMax-M2.5"], **fields)
    row.update(team_id=team_id, budget_id=budget_id)
    return row


def plan_of(text: str, keys: list[dict[str, Any]], state: State) -> Plan:
    return plan_changes(estate(text), live(keys, state))


def only(state: State, alias: str) -> dict[str, Any]:
    return next(t for t in state.teams.values() if t["team_alias"] == alias)


def declared(text: str) -> Estate:
    return estate(text)
