"""A team as read from /v2/team/list, normalised for diffing. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.live import LiveState, whole
from reconciler.core.engine.markers import MARKER_FIELD, marker_for, read_marker
from reconciler.core.kinds.team.schema import TEAM_LIMITS

KIND = "team"
APPLIED_FIELD = "reconciler_applied"
BOOKKEEPING = frozenset({MARKER_FIELD, APPLIED_FIELD})
# The proxy adds whoever creates a team as its admin (the master key is `default_user_id`):
# such members are the proxy's, never desired/'s, so they are neither drift nor removed.
CREATOR = "default_user_id"
_NAMESPACE = uuid.UUID("6f1c2b9e-3d4a-4f5e-9a8b-7c6d5e4f3a2b")


def team_id_for(scope: str, name: str) -> str:
    """The team_id the tool gives the team `name` of `scope`: the same on every run, so a
    plan can name it before the team exists (its keys carry it)."""
    return str(uuid.uuid5(_NAMESPACE, f"{marker_for(scope)}\n{name}"))


@dataclass(frozen=True)
class LiveTeam:
    id: str
    alias: str | None
    models: tuple[str, ...]
    limits: dict[str, Any]
    blocked: bool
    metadata: dict[str, Any]
    members: dict[str, str]  # user id -> role, the proxy's creator admin left out
    model_aliases: dict[str, Any]

    @property
    def marker(self) -> str | None:
        return read_marker(self.metadata.get(MARKER_FIELD))

    @property
    def applied(self) -> dict[str, Any]:
        value = self.metadata.get(APPLIED_FIELD)
        return value if isinstance(value, dict) else {}


def parse_team(row: dict[str, Any]) -> LiveTeam:
    metadata = row.get("metadata")
    table = row.get("litellm_model_table")
    aliases = table.get("model_aliases") if isinstance(table, dict) else None
    members = {
        str(m.get("user_id")): str(m.get("role") or "user")
        for m in row.get("members_with_roles") or []
        if isinstance(m, dict) and not (m.get("user_id") == CREATOR and m.get("role") == "admin")
    }
    return LiveTeam(
        id=str(row.get("team_id")),
        alias=row.get("team_alias"),
        models=tuple(row.get("models") or ()),
        limits={n: whole(row.get(n)) for n in TEAM_LIMITS},
        blocked=row.get("blocked") is True,
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        members=members,
        model_aliases=dict(aliases) if isinstance(aliases, dict) else {},
    )


def parse_teams(rows: list[dict[str, Any]]) -> tuple[LiveTeam, ...]:
    return tuple(parse_team(r) for r in rows if r.get("team_id"))


def teams_of(live: LiveState) -> tuple[LiveTeam, ...]:
    return tuple(live.part(KIND))


def fingerprint(teams: tuple[LiveTeam, ...]) -> Any:
    return sorted([t.id, t.alias, sorted(t.models), t.limits, t.blocked, t.metadata,
                   sorted(t.members.items()), t.model_aliases] for t in teams)

