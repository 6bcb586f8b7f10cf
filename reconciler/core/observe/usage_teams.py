"""Usage per team: the spend and requests of each declared team's agents, against the team's
budget. Pure.

The spend is what the team's agents' keys spent in the report's period (each agent's budget
window by default), so a team's share is of its max_budget over that traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.input.desired import Estate
from reconciler.core.observe.usage import KeyClass, KeyUsage


@dataclass(frozen=True)
class TeamUsage:
    name: str
    agents: tuple[str, ...]
    spend: float
    requests: int
    max_budget: float | None

    @property
    def budget_share(self) -> float | None:
        return self.spend / self.max_budget if self.max_budget else None

    @property
    def data(self) -> dict[str, Any]:
        share = self.budget_share
        return {"name": self.name, "agents": list(self.agents), "spend": round(self.spend, 10),
                "requests": self.requests, "max_budget": self.max_budget,
                "budget_used": None if share is None else round(share, 4)}


def team_usage(estate: Estate, keys: list[KeyUsage]) -> list[TeamUsage]:
    by_agent = {k.name: k for k in keys if k.kind is KeyClass.AGENT}
    teams = []
    for team in estate.teams:
        agents = tuple(sorted(a.name for a in estate.agents if a.team == team.name))
        rows = [by_agent[a] for a in agents if a in by_agent]
        teams.append(TeamUsage(team.name, agents, sum(r.total.spend for r in rows),
                               sum(r.total.requests for r in rows), team.max_budget))
    return teams
