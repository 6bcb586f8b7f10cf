"""What the tool writes on a team, and how a live team compares with it. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.live import whole
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.engine.stamps import digest
from reconciler.core.kinds.team.live import APPLIED_FIELD, BOOKKEEPING, LiveTeam
from reconciler.core.kinds.team.schema import TEAM_LIMITS, Team


def member_lines(members: dict[str, str]) -> list[str]:
    """Members as people read them in a plan: `alice (user)`, sorted."""
    return sorted(f"{user} ({role})" for user, role in members.items())


def _content(models: Any, limits: dict[str, Any], aliases: dict[str, Any],
             members: dict[str, str], metadata: dict[str, Any], ignore: list[str]) -> dict:
    skip = {n.removeprefix("metadata.") for n in ignore if n.startswith("metadata.")}
    content: dict[str, Any] = {"models": sorted(models), **limits, "model_aliases": aliases,
                               "members": member_lines(members)}
    content = {k: v for k, v in content.items() if k not in ignore}
    content["metadata"] = {k: v for k, v in metadata.items()
                           if k not in BOOKKEEPING and k not in skip}
    return content


def desired_members(team: Team) -> dict[str, str]:
    return {m.user: m.role for m in team.members}


def desired_content(team: Team) -> dict[str, Any]:
    limits = {n: whole(getattr(team, n)) for n in TEAM_LIMITS}
    return _content(team.models, limits, dict(team.model_aliases), desired_members(team),
                    team.metadata, team.ignore_fields)


def live_content(live: LiveTeam, ignore: list[str]) -> dict[str, Any]:
    return _content(live.models, live.limits, live.model_aliases, live.members, live.metadata,
                    ignore)


def written_metadata(team: Team, scope: str, live: LiveTeam | None = None,
                     blocked: bool | None = None) -> dict[str, Any]:
    """The whole metadata the tool writes (/team/update replaces it): the record says what
    desired/ declared, blocked state included, so a block made by hand is told apart."""
    kept = {k: v for k, v in (live.metadata if live else {}).items()
            if f"metadata.{k}" in team.ignore_fields}
    record = {"sha256": digest(desired_content(team)),
              "blocked": team.blocked if blocked is None else blocked,
              "protected": team.protected}
    return {**team.metadata, **kept, MARKER_FIELD: marker_for(scope), APPLIED_FIELD: record}


def create_body(team: Team, team_id: str, scope: str) -> dict[str, Any]:
    body: dict[str, Any] = {"team_id": team_id, "team_alias": team.name,
                            "models": list(team.models)}
    body.update({n: whole(getattr(team, n)) for n in TEAM_LIMITS if getattr(team, n) is not None})
    if team.model_aliases:
        body["model_aliases"] = dict(team.model_aliases)
    if team.members:
        body["members_with_roles"] = [{"user_id": m.user, "role": m.role} for m in team.members]
    if team.blocked:
        body["blocked"] = True
    body["metadata"] = written_metadata(team, scope)
    return body


def member_ops(want: dict[str, str], have: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """member_add / member_delete / member_update calls that turn `have` into `want`. Admins
    desired/ does not declare are left: the proxy adds creators as admins itself."""
    return {
        "add": [{"user_id": u, "role": r} for u, r in sorted(want.items()) if u not in have],
        "remove": [{"user_id": u} for u, r in sorted(have.items())
                   if u not in want and r != "admin"],
        "role": [{"user_id": u, "role": r} for u, r in sorted(want.items())
                 if u in have and have[u] != r],
    }

