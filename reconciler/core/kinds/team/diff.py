"""Teams in desired/ vs /v2/team/list -> team changes. Pure.

A team blocked outside desired/ is held (never unblocked by apply); a managed team that left
desired/ is blocked (its keys with it, kinds/key/diff.py), or deleted with
`settings.removed_teams: delete`; the pinned key's team is never narrowed or blocked.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.diffing import field_changes
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.engine.stamps import digest, is_drift
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.reach import narrowed, pinned_owners, pinned_refusal
from reconciler.core.kinds.team.live import KIND, LiveTeam, team_id_for, teams_of
from reconciler.core.kinds.team.schema import Team
from reconciler.core.kinds.team.spec import (
    create_body,
    desired_content,
    desired_members,
    live_content,
    member_ops,
    written_metadata,
)
from reconciler.core.masking import printable


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    scope = estate.settings.scope
    marker = marker_for(scope)
    teams = teams_of(live)
    pinned = pinned_owners(estate, live)["team"]
    mine: dict[str | None, list[LiveTeam]] = {}
    for team in teams:
        if team.marker == marker:
            mine.setdefault(team.alias, []).append(team)
    conflicts: list[str] = []
    for team in estate.teams:
        found = mine.pop(team.name, [])
        if len(found) > 1:
            conflicts.append(f"team {team.name!r}: {len(found)} teams of this scope have that "
                             "alias; delete all but one")
            continue
        if found:
            conflicts += _existing(team, found[0], scope, pinned, acc)
            continue
        free = [t for t in teams if t.alias == team.name and t.marker is None]
        if free and team.adopt and len(free) == 1:
            acc.changes.extend(_changes(Verb.ADOPT, team, free[0], scope, acc))
        elif free:
            conflicts.append(f"team {team.name!r}: a team this tool did not create has that "
                             "alias (" + ", ".join(t.id for t in free) + "); add `adopt: "
                             "true` to take it over, or rename")
        elif team_id_for(scope, team.name) in {t.id for t in teams}:
            taken = next(t for t in teams if t.id == team_id_for(scope, team.name))
            conflicts.append(f"team {team.name!r}: the team_id the tool keeps for it "
                             f"({taken.id}) is held by the team aliased "
                             f"'{printable(str(taken.alias))}' (renamed outside desired/?); "
                             "rename it back or declare that name")
        else:
            acc.changes.append(Change(KIND, Verb.CREATE, team.name, after=create_body(
                team, team_id_for(scope, team.name), scope)))
    for left in (t for group in mine.values() for t in group):
        conflicts += _removed(estate, left, pinned, acc)
    acc.untouched.extend(_untouched(t) for t in teams if t.marker != marker)
    return conflicts


def _existing(team: Team, live: LiveTeam, scope: str, pinned: frozenset[str],
              acc: PlanInputs) -> list[str]:
    changes = _changes(Verb.UPDATE, team, live, scope, acc)
    if live.id in pinned:
        shrinks = sorted({f for c in changes for f in narrowed(_reach(live), c.after)})
        if shrinks:
            return [f"team {team.name!r}: " + pinned_refusal("that team", shrinks)]
    acc.changes.extend(changes)
    return []


def _reach(live: LiveTeam) -> dict[str, Any]:
    return {"models": list(live.models), "blocked": live.blocked, **live.limits}


def held(live: LiveTeam, desired_blocked: bool) -> bool:
    """Blocked on the gateway while desired/ (and the tool's record) did not block it."""
    return live.blocked and not desired_blocked and live.applied.get("blocked") is not True


def _changes(verb: Verb, team: Team, live: LiveTeam, scope: str,
             acc: PlanInputs) -> list[Change]:
    ident = {"ref": live.id}
    have, want = live_content(live, team.ignore_fields), desired_content(team)
    before, after = field_changes(have, want)
    fields_differ = bool(after)
    is_held = held(live, team.blocked)
    if is_held:
        acc.holds.append(Untouched("held_team", team.name, "blocked outside desired/ (by "
                                   "hand); apply keeps it blocked"))
    # A held team's record keeps saying desired/ did not block it: the hold stays a hold.
    metadata = written_metadata(team, scope, live, blocked=False if is_held else None)
    ops = member_ops(desired_members(team), live.members) if "members" in after else None
    changes: list[Change] = []
    record_stale = live.applied != metadata.get("reconciler_applied")
    if after or verb is Verb.ADOPT or (record_stale and not _flips(team, live, is_held)):
        recorded = live.applied.get("sha256")
        before["metadata"], after["metadata"] = live.metadata, metadata
        reason = "adopted: the team keeps its id, keys and spend" if verb is Verb.ADOPT else (
            None if len(after) > 1 else "records what desired/ now declares")
        changes.append(Change(KIND, verb, team.name, before=before, after=after, reason=reason,
                              spec={"members": ops} if ops else None,
                              drift=verb is Verb.UPDATE and fields_differ
                              and is_drift(recorded, digest(have)),
                              **ident))
    if _flips(team, live, is_held) and verb is Verb.UPDATE:
        changes.append(Change(KIND, Verb.BLOCK if team.blocked else Verb.UNBLOCK, team.name,
                              before={"blocked": live.blocked}, after={"blocked": team.blocked},
                              spec={"metadata": metadata}, **ident))
    return changes


def _flips(team: Team, live: LiveTeam, is_held: bool) -> bool:
    return team.blocked != live.blocked and not is_held


def _removed(estate: Estate, live: LiveTeam, pinned: frozenset[str],
             acc: PlanInputs) -> list[str]:
    name = str(live.alias)
    if live.id in pinned:
        return [f"team {name!r} left desired/: " + pinned_refusal("that team", ["blocked"])]
    if live.applied.get("protected") is True:
        acc.warnings.append(f"team {name!r} is protected: it stays although it left desired/; "
                            "set protected: false and apply before removing it")
        return []
    reason = "team removed from desired/: blocked, with its keys"
    if estate.settings.removed_teams == "delete":
        acc.changes.append(Change(KIND, Verb.DELETE, name, before={"blocked": live.blocked},
                                  ref=live.id, reason="removed from desired/"))
    elif not live.blocked:
        record = {**live.applied, "blocked": True}
        acc.changes.append(Change(KIND, Verb.BLOCK, name, before={"blocked": False},
                                  after={"blocked": True}, ref=live.id, reason=reason,
                                  spec={"metadata": {**live.metadata,
                                                     "reconciler_applied": record}}))
    return []


def _untouched(live: LiveTeam) -> Untouched:
    name = live.alias or live.id
    if live.marker is None:
        return Untouched("unmanaged_team", name, f"(id {live.id})")
    return Untouched("other_scope_team", name, f"({live.marker})")
