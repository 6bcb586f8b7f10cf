"""Offline checks across desired/ for teams: an agent's team and budget exist, its models lie
within its team's, a team's models and members are declared. Pure.

Each problem is (path in the file, message); the loader turns it into FILE:LINE.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.core.input.desired import DesiredFile, Estate

Found = Iterator[tuple[tuple[Any, ...], str]]


def team_problems(content: DesiredFile, estate: Estate) -> Found:
    if content.agents and (estate.teams or any(a.team or a.budget or a.user
                                                for a in content.agents)):
        yield from _agents(content, estate)
    if content.teams:
        yield from _teams(content, estate)


def _agents(content: DesiredFile, estate: Estate) -> Found:
    teams = {t.name: t for t in estate.teams}
    budgets = {b.name for b in estate.budgets}
    for i, agent in enumerate(content.agents):
        team = teams.get(agent.team) if agent.team is not None else None
        if agent.team is not None and team is None:
            yield ("agents", i, "team"), f"team {agent.team!r} is declared nowhere (add it " \
                "under teams:)"
        if team is not None:
            allowed = set(team.models)
            for j, name in enumerate(agent.models):
                if name not in allowed:
                    yield ("agents", i, "models", j), (
                        f"{name!r} is not among the models of team {team.name!r} "
                        f"({', '.join(team.models)}): the gateway would refuse it")
        if agent.user is not None and agent.user not in {u.id for u in estate.users}:
            yield ("agents", i, "user"), f"user {agent.user!r} is declared nowhere (add it " \
                "under users:)"
        if agent.budget is not None and agent.budget not in budgets:
            yield ("agents", i, "budget"), f"budget {agent.budget!r} is declared nowhere " \
                "(add it under budgets:)"


def _teams(content: DesiredFile, estate: Estate) -> Found:
    known = estate.model_names()
    users = {u.id for u in estate.users}
    for i, team in enumerate(content.teams):
        for j, name in enumerate(team.models):
            if name not in known:
                yield ("teams", i, "models", j), f"model {name!r} is declared nowhere (add " \
                    "it under models: or config_models:)"
        for j, member in enumerate(team.members):
            if member.user not in users:
                yield ("teams", i, "members", j, "user"), f"user {member.user!r} is declared " \
                    "nowhere (add it under users:)"
