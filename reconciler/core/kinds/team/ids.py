"""Which team_id each declared team has (or will have): the live one when the team exists,
else the stable id the tool creates it with. Keys carry these ids. Pure."""

from __future__ import annotations

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.team.live import LiveTeam, team_id_for, teams_of


def team_ids(estate: Estate, live: LiveState) -> dict[str, str]:
    return team_ids_among(estate, teams_of(live))


def team_ids_among(estate: Estate, teams: tuple[LiveTeam, ...]) -> dict[str, str]:
    marker = marker_for(estate.settings.scope)
    mine = {t.alias: t.id for t in teams if t.marker == marker}
    free = {t.alias: t.id for t in teams if t.marker is None}
    return {
        team.name: mine.get(team.name)
        or (free.get(team.name) if team.adopt else None)
        or team_id_for(estate.settings.scope, team.name)
        for team in estate.teams
    }
