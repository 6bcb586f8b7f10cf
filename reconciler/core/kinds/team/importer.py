"""`reconciler import` for teams: each team the tool may manage, with its members and
`adopt: true`; the proxy's own creator admin is left out. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.imported import ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.team.live import BOOKKEEPING, LiveTeam, teams_of


def import_teams(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    marker = marker_for(existing.settings.scope)
    declared = {t.name for t in existing.teams}
    seen: set[str] = set()
    for team in sorted(teams_of(live), key=lambda t: (t.alias or "", t.id)):
        name = team.alias
        if not name or name in declared or not wanted(name):
            continue
        if team.marker not in (None, marker):
            out.listed.append(f"team of another scope {name} ({team.marker})")
        elif name in seen:
            out.notes.append(f"team {name!r} ({team.id}) not imported: another team has that "
                             "alias")
        else:
            seen.add(name)
            out.sections.setdefault("teams", []).append(_team(team, marker))
            if not team.models:
                out.notes.append(f"team {name}: the team may call every model; list them")


def _team(team: LiveTeam, marker: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": team.alias, "models": list(team.models)}
    entry.update({k: v for k, v in team.limits.items() if v is not None})
    if team.model_aliases:
        entry["model_aliases"] = dict(team.model_aliases)
    if team.members:
        entry["members"] = [{"user": u, "role": r} for u, r in sorted(team.members.items())]
    metadata = {k: v for k, v in team.metadata.items() if k not in BOOKKEEPING}
    if metadata:
        entry["metadata"] = metadata
    if team.blocked:
        entry["blocked"] = True
    if team.marker != marker:
        entry["adopt"] = True
    return entry
