"""The guard's rules for teams (see engine/guard.py for the promises). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for, owner
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.reach import narrowed, pinned_owners, pinned_refusal
from reconciler.core.kinds.team.diff import held
from reconciler.core.kinds.team.live import LiveTeam, team_id_for, teams_of
from reconciler.core.kinds.team.schema import TEAM_LIMITS

_UPDATED = frozenset({"models", "model_aliases", "members", "metadata", *TEAM_LIMITS})
_CREATED = frozenset({"team_id", "team_alias", "models", "model_aliases", "members_with_roles",
                      "metadata", "blocked", *TEAM_LIMITS})


@dataclass(frozen=True)
class TeamGuardContext:
    scope: str
    marker: str
    teams: dict[str, LiveTeam]  # by id
    declared: dict[str, bool]  # name -> blocked in desired/
    pinned: frozenset[str]

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> TeamGuardContext:
        return cls(estate.settings.scope, marker_for(estate.settings.scope),
                   {t.id: t for t in teams_of(live)},
                   {t.name: t.blocked for t in estate.teams}, pinned_owners(estate, live)["team"])


def _create(ctx: TeamGuardContext, change: Change) -> str | None:
    if change.target not in ctx.declared:
        return "desired/ declares no such team"
    if change.after.get("team_id") != team_id_for(ctx.scope, change.target):
        return "its team_id is not the one the tool keeps for this team"
    if change.after["team_id"] in ctx.teams or change.after.get("team_alias") != change.target:
        return "a team with that id exists, or the alias differs from its target"
    return _body(ctx, change.after, _CREATED)


def _managed(ctx: TeamGuardContext, change: Change, *, adopt: bool = False) -> LiveTeam | str:
    live = ctx.teams.get(change.ref or "")
    if live is None or live.alias != change.target:
        return "no live team has that id and alias"
    if adopt and live.marker is not None:
        return f"only a team no scope manages can be adopted ({owner(live.marker)})"
    if not adopt and live.marker != ctx.marker:
        return f"that team is not managed by this scope ({owner(live.marker)})"
    return live


def _update(ctx: TeamGuardContext, change: Change) -> str | None:
    live = _managed(ctx, change, adopt=change.verb is Verb.ADOPT)
    if isinstance(live, str):
        return live
    if live.id in ctx.pinned:
        shrinks = narrowed({"models": list(live.models), **live.limits}, change.after)
        if shrinks:
            return pinned_refusal("that team", shrinks)
    return _body(ctx, change.after, _UPDATED)


def _flip(ctx: TeamGuardContext, change: Change) -> str | None:
    live = _managed(ctx, change)
    if isinstance(live, str):
        return live
    blocked = change.verb is Verb.BLOCK
    if change.after != {"blocked": blocked}:
        return f"it carries {sorted(change.after)}"
    if blocked and live.id in ctx.pinned:
        return pinned_refusal("that team", ["blocked"])
    if not blocked and held(live, ctx.declared.get(change.target, False)):
        return "that team is held: blocked outside desired/; apply never unblocks it"
    if not blocked and ctx.declared.get(change.target) is not False:
        return "desired/ does not declare it unblocked"
    return _marked(ctx, (change.spec or {}).get("metadata"))


def _delete(ctx: TeamGuardContext, change: Change) -> str | None:
    live = _managed(ctx, change)
    if isinstance(live, str):
        return live
    if live.id in ctx.pinned:
        return pinned_refusal("that team", ["deleted"])
    return "desired/ still declares it" if change.target in ctx.declared else None


def _body(ctx: TeamGuardContext, body: dict[str, Any], allowed: frozenset[str]) -> str | None:
    extra = sorted(set(body) - allowed)
    if extra:
        return f"it sets fields the tool never writes: {', '.join(extra)}"
    models = body.get("models", ["-"])
    if not isinstance(models, list) or not models:
        return "its models must be a non-empty list (LiteLLM reads [] as every model)"
    return _marked(ctx, body.get("metadata"))


def _marked(ctx: TeamGuardContext, metadata: Any) -> str | None:
    if not isinstance(metadata, dict) or metadata.get(MARKER_FIELD) != ctx.marker:
        return f"its metadata must keep this scope's marker ({ctx.marker})"
    return None


RULES = {Verb.ADOPT: _update, Verb.CREATE: _create, Verb.UPDATE: _update,
         Verb.UNBLOCK: _flip, Verb.BLOCK: _flip, Verb.DELETE: _delete}
