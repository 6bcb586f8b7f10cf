"""Which team, budget and user each agent's key belongs to: `team:`, `budget:` and `user:`
by name in desired/, team_id, budget_id and user_id on the key. Folded into the key changes
the key diff made, so one key has one change. Pure."""

from __future__ import annotations

import dataclasses

from reconciler.core.engine.changes import Change, PlanInputs, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.ids import budget_ids
from reconciler.core.kinds.key.fields import KIND, change
from reconciler.core.kinds.key.live import LiveKey
from reconciler.core.kinds.team.ids import team_ids
from reconciler.core.kinds.team.live import teams_of

MEMBERSHIP_FIELDS = ("team_id", "budget_id", "user_id")


def wanted(estate: Estate, live: LiveState) -> dict[str, dict[str, str]]:
    """agent name -> the team_id / budget_id its key must carry (only those it declares)."""
    teams, budgets = team_ids(estate, live), budget_ids(estate, live)
    found: dict[str, dict[str, str]] = {}
    for agent in estate.agents:
        ids = {}
        if agent.team is not None and agent.team in teams:
            ids["team_id"] = teams[agent.team]
        if agent.budget is not None and agent.budget in budgets:
            ids["budget_id"] = budgets[agent.budget]
        if agent.user is not None:
            ids["user_id"] = agent.user  # a user's id is its name
        if ids:
            found[agent.name] = ids
    return found


def fold(estate: Estate, live: LiveState, keys: list[LiveKey], acc: PlanInputs) -> None:
    """Put each agent's team_id / budget_id into its key's create or update; a key whose
    membership alone differs gets an update of just that."""
    marker = marker_for(estate.settings.scope)
    _warn_removed_teams(estate, live, keys, marker, acc)
    by_alias = {k.alias: k for k in keys if k.marker in (marker, None) and k.rotated is None}
    want = wanted(estate, live)
    for agent, left in _left(estate, live, by_alias, marker).items():
        want[agent] = {**left, **want.get(agent, {})}
    if not want:
        return
    planned: dict[str, int] = {}
    for index, c in enumerate(acc.changes):
        if c.kind == KIND and c.verb in (Verb.CREATE, Verb.UPDATE, Verb.ADOPT) \
                and c.target in want:
            planned[c.target] = index
    for agent, ids in want.items():
        index = planned.get(agent)
        if index is not None and acc.changes[index].verb is Verb.CREATE:
            created = acc.changes[index]
            acc.changes[index] = dataclasses.replace(created, after={**created.after, **ids})
            continue
        live_key = by_alias.get(agent)
        if live_key is None:
            continue
        have = {"team_id": live_key.team_id, "budget_id": live_key.budget_id,
                "user_id": live_key.user_id}
        differ = {n: v for n, v in ids.items() if have[n] != v}
        if not differ:
            continue
        before = {n: have[n] for n in differ}
        if index is None:
            acc.changes.append(change(Verb.UPDATE, agent, before=before, after=differ,
                                      ref=live_key.token, label=live_key.key_name))
        else:
            old: Change = acc.changes[index]
            acc.changes[index] = dataclasses.replace(
                old, before={**old.before, **before}, after={**old.after, **differ})


def _left(estate: Estate, live: LiveState, by_alias: dict[str | None, LiveKey],
          marker: str) -> dict[str, dict[str, None]]:
    """agent -> the memberships its managed key leaves: a team, budget or user the tool
    manages that desired/ no longer names for it. A team or budget the tool does not manage
    (one a key of a hand-made estate sits in) is not the tool's to leave."""
    teams = {t.id for t in teams_of(live) if t.marker == marker} | set(
        team_ids(estate, live).values())
    budgets = set(budget_ids(estate, live).values())
    users = {u.id for u in estate.users}
    found: dict[str, dict[str, None]] = {}
    for agent in estate.agents:
        key = by_alias.get(agent.name)
        if key is None or key.marker != marker:
            continue
        left: dict[str, None] = {}
        if agent.team is None and key.team_id in teams:
            left["team_id"] = None
        if agent.budget is None and key.budget_id is not None and (
                key.budget_id in budgets or key.budget_id.startswith(f"{marker}:")):
            left["budget_id"] = None
        if agent.user is None and key.user_id in users:
            left["user_id"] = None
        if left:
            found[agent.name] = left
    return found


def _warn_removed_teams(estate: Estate, live: LiveState, keys: list[LiveKey], marker: str,
                        acc: PlanInputs) -> None:
    """A declared agent whose key sits in a managed team that left desired/: the team is
    blocked, so the key is refused with it; say so rather than let it look alive."""
    declared = {t.name for t in estate.teams}
    gone = {t.id: t.alias for t in teams_of(live) if t.marker == marker
            and t.alias not in declared}
    agents = {a.name for a in estate.agents}
    for key in keys:
        if key.marker == marker and key.team_id in gone and key.alias in agents:
            acc.warnings.append(f"agent {key.alias!r}: its key is in team "
                                f"{gone[key.team_id]!r}, which left desired/ and is blocked "
                                "(or deleted): the key is refused with it")
