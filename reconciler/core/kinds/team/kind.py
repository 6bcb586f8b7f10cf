"""The team kind as the engine sees it."""

from __future__ import annotations

from reconciler.core.engine.changes import Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.team.diff import diff
from reconciler.core.kinds.team.guard import RULES, TeamGuardContext
from reconciler.core.kinds.team.importer import import_teams
from reconciler.core.kinds.team.live import APPLIED_FIELD, KIND, fingerprint, parse_teams, teams_of


def _managed(estate: Estate, live: LiveState) -> int:
    marker = marker_for(estate.settings.scope)
    return sum(t.marker == marker for t in teams_of(live))


TEAM = Kind(
    name=KIND,
    # Only when desired/ declares teams: (even `teams: []`); else they are left alone.
    reads=lambda estate: estate.declares("teams"),
    noun="team",
    plural="teams",
    # Members are users, a team's models are deployments; created after them.
    depends_on=("model", "budget", "user"),
    verbs=(Verb.ADOPT, Verb.CREATE, Verb.UPDATE, Verb.UNBLOCK, Verb.BLOCK),
    late=(Verb.DELETE,),
    parse=parse_teams,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=TeamGuardContext.build,
    guard_rules=RULES,
    managed=_managed,
    rail_words=("team updates", "team blocks and deletes"),
    untouched={
        "unmanaged_team": ("unmanaged team (not created by this tool; left alone)",
                           "unmanaged team(s)"),
        "other_scope_team": ("team of another scope (left alone)", "team(s) of other scopes"),
        "held_team": ("held (blocked outside desired/; apply keeps it blocked)", ""),
    },
    hidden=frozenset({f"metadata.{MARKER_FIELD}", f"metadata.{APPLIED_FIELD}"}),
    markers=frozenset({f"metadata.{MARKER_FIELD}"}),
    importer=import_teams,
)
