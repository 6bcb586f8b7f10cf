"""The month check per team (`usage --month`): each declared team's agents' spend in the month,
against what the gateway itself records for the team. Pure: rows in, TeamMonth rows out.

Two figures of the gateway's own, both checked against the sum of the team's agents' keys:

- the spend logs of the month that the proxy attributed to the team: every row carries the
  `team_id` of the key that made it (LiteLLM 1.108.7: the row's `team_id` column, also
  `metadata.user_api_key_team_id`). They differ from the agents' sum when a key of the team
  is no agent of it in desired/ (made by hand, pinned) or an agent's key is not in the team
  yet (its apply still to come);
- the team's own `spend` (/v2/team/list), the counter LiteLLM checks the team's max_budget
  against. It counts the team's current budget window (since the team's creation without
  budget_duration), every key of the team, and is written 10-15 s after the traffic: it is
  compared only when that window lies inside the month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.engine.live import parse_moment
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.team.ids import team_ids_among
from reconciler.core.kinds.team.live import parse_teams
from reconciler.core.observe.usage import LogRow, Period, UsageReport, duration_seconds, iso

TOLERANCE = 1e-9


@dataclass(frozen=True)
class TeamCounter:
    """The team's own spend counter and the window it counts."""

    spend: float
    since: dt.datetime | None  # None: the gateway gave no creation time
    window: str  # "lifetime" (no budget_duration) or "budget window"


@dataclass(frozen=True)
class TeamMonth:
    name: str
    team_id: str | None  # None: the team is not on the gateway
    period: Period
    report_spend: float  # the team's agents' keys, in the month
    report_requests: int
    report_by_key: dict[str, float]
    logged_spend: float = 0.0  # spend logs of the month with the team's team_id
    logged_requests: int = 0
    logged_by_key: dict[str, float] = field(default_factory=dict)
    counter: TeamCounter | None = None
    counter_compared: bool = False
    counter_report_spend: float = 0.0  # the agents' keys since the counter's window opened
    key_names: dict[str, str] = field(default_factory=dict)  # sha256 -> who it is

    @property
    def difference(self) -> float:
        return self.logged_spend - self.report_spend

    @property
    def matches(self) -> bool:
        return abs(self.difference) <= TOLERANCE

    @property
    def counter_matches(self) -> bool | None:
        if self.counter is None or not self.counter_compared:
            return None
        return abs(self.counter.spend - self.counter_report_spend) <= TOLERANCE

    def keys_differing(self) -> dict[str, dict[str, Any]]:
        tokens = sorted(set(self.logged_by_key) | set(self.report_by_key))
        return {t: {"gateway": round(self.logged_by_key.get(t, 0.0), 10),
                    "report": round(self.report_by_key.get(t, 0.0), 10),
                    "key": self.key_names.get(t, "a key the gateway no longer lists")}
                for t in tokens
                if abs(self.logged_by_key.get(t, 0.0) - self.report_by_key.get(t, 0.0))
                > TOLERANCE}

    @property
    def data(self) -> dict[str, Any]:
        counter = None
        if self.counter is not None:
            counter = {"spend": round(self.counter.spend, 10), "window": self.counter.window,
                       "since": iso(self.counter.since) if self.counter.since else None,
                       "compared": self.counter_compared, "matches": self.counter_matches,
                       "report_spend": round(self.counter_report_spend, 10)}
        return {"name": self.name, "team_id": self.team_id,
                "report_spend": round(self.report_spend, 10),
                "report_requests": self.report_requests,
                "gateway_logged_spend": round(self.logged_spend, 10),
                "gateway_logged_requests": self.logged_requests,
                "difference": round(self.difference, 10), "matches": self.matches,
                "keys_differing": self.keys_differing(), "team_counter": counter}


def team_months(estate: Estate, report: UsageReport, logs: Iterable[LogRow],
                team_rows: list[dict[str, Any]], now: dt.datetime) -> list[TeamMonth]:
    """One TeamMonth per declared team; `logs` are the month's rows, `team_rows` /v2/team/list."""
    ids = team_ids_among(estate, parse_teams(team_rows))
    rows = {str(r.get("team_id")): r for r in team_rows}
    logs = list(logs)
    logged = _logged_by_team(logs, report.period)
    names = {token: f"{k.name} ({k.kind.value})" for k in report.keys for token in k.by_key}
    names.update({k.token: f"{k.name} ({k.kind.value})" for k in report.keys})
    by_name = {k.name: k for k in report.keys}
    months = []
    for team in report.teams:
        row = rows.get(ids.get(team.name, ""))
        team_id = str(row["team_id"]) if row else None
        agents = [by_name[a] for a in team.agents if a in by_name]
        spend, requests, by_key = logged.get(team_id or "", (0.0, 0, {}))
        counter = _counter(row) if row else None
        mine = {t: s for a in agents for t, s in a.by_key.items()}
        months.append(TeamMonth(
            name=team.name, team_id=team_id, period=report.period,
            report_spend=team.spend, report_requests=team.requests, report_by_key=mine,
            logged_spend=spend, logged_requests=requests, logged_by_key=by_key,
            counter=counter, counter_compared=_comparable(counter, report.period, now),
            counter_report_spend=_spent_since(logs, set(mine), counter, report.period),
            key_names=names))
    return months


def _logged_by_team(logs: Iterable[LogRow], period: Period
                    ) -> dict[str, tuple[float, int, dict[str, float]]]:
    found: dict[str, tuple[float, int, dict[str, float]]] = {}
    for row in logs:
        if not row.team_id or not period.holds(row.moment):
            continue
        spend, requests, by_key = found.get(row.team_id, (0.0, 0, {}))
        by_key[row.api_key] = by_key.get(row.api_key, 0.0) + row.spend
        found[row.team_id] = (spend + row.spend, requests + 1, by_key)
    return found


def _spent_since(logs: list[LogRow], tokens: set[str], counter: TeamCounter | None,
                 period: Period) -> float:
    """The agents' spend in the month from the moment the counter's window opened (a window
    that opened mid-month, at a reset, does not hold what was spent before)."""
    since = counter.since if counter is not None and counter.since else period.start
    return sum(r.spend for r in logs
               if r.api_key in tokens and period.holds(r.moment) and r.moment >= since)


def _counter(row: dict[str, Any]) -> TeamCounter:
    created = parse_moment(row.get("created_at"))
    reset = parse_moment(row.get("budget_reset_at"))
    seconds = duration_seconds(row.get("budget_duration"))
    if reset is not None and seconds:
        # As for keys, the real proxy aligns resets to calendar boundaries: a window that
        # would open before the team's creation opens with it.
        start = reset - dt.timedelta(seconds=seconds)
        since = max(start, created) if created else start
        return TeamCounter(float(row.get("spend") or 0.0), since, "budget window")
    return TeamCounter(float(row.get("spend") or 0.0), created, "lifetime")


def _comparable(counter: TeamCounter | None, period: Period, now: dt.datetime) -> bool:
    """The counter covers the same traffic as the month only when its window opened in the
    month and the month is not over yet."""
    if counter is None or counter.since is None:
        return False
    return period.start <= counter.since and now < period.end
