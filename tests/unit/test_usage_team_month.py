"""The month check per team: its agents' keys summed against the gateway's own team figures
(the month's spend logs carrying the team's team_id, and the team's spend counter), in every
format, with a mismatch shown and the keys that make it named."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from reconciler.core.observe.usage import (
    UTC,
    UsageReport,
    gateway_daily_total,
    month_period,
    parse_log_row,
)
from reconciler.core.observe.usage_join import build_report
from reconciler.core.observe.usage_team_month import TeamMonth, team_months
from reconciler.core.render.usage import render_usage, report_data
from tests.output_schemas import problems
from tests.unit.builders import MARKER, estate, key_row
from tests.unit.test_usage import log

ESTATE = estate("""
config_models: [M]
pinned: [{alias: sileya}]
teams:
  - {name: research, models: [M], max_budget: 10}
  - {name: later, models: [M]}
agents:
  - {name: scout, owner: x, team: research, models: [M]}
  - {name: miner, owner: x, team: research, models: [M]}
  - {name: solo, owner: x, models: [M]}
""")
MONTH = month_period("2026-12")
NOW = dt.datetime(2026, 12, 20, tzinfo=UTC)
TEAM_ID = "tid-research"


def _keys() -> list[dict[str, Any]]:
    return [key_row("scout", metadata=MARKER, team_id=TEAM_ID),
            key_row("miner", metadata=MARKER, team_id=TEAM_ID),
            key_row("solo", metadata=MARKER),
            key_row("legacy", metadata={"owner": "ops"}, team_id=TEAM_ID)]


def _team(spend: float, **extra: Any) -> dict[str, Any]:
    return {"team_id": TEAM_ID, "team_alias": "research", "metadata": dict(MARKER),
            "spend": spend, "max_budget": 10, "created_at": "2026-12-02T08:00:00Z",
            "budget_duration": None, "budget_reset_at": None, **extra}


def _log(token: str, spend: float, team_id: str | None, at: str = "2026-12-05T10:00:00"
         ) -> dict[str, Any]:
    row = log(token, spend=spend, at=at)
    row["team_id"] = team_id
    return row


def _months(logs: list[dict[str, Any]], teams: list[dict[str, Any]], *,
            now: dt.datetime = NOW) -> tuple[UsageReport, list[TeamMonth]]:
    report = build_report(ESTATE, _keys(), logs, MONTH)
    report.gateway_total = gateway_daily_total([{"spend": report.total_spend}])
    report.team_months = team_months(ESTATE, report, filter(None, map(parse_log_row, logs)),
                                     teams, now)
    return report, report.team_months


def _tokens() -> dict[str, str]:
    return {r["key_alias"]: r["token"] for r in _keys()}


def test_the_agents_sum_matches_the_teams_logs_and_its_counter() -> None:
    t = _tokens()
    logs = [_log(t["scout"], 0.5, TEAM_ID), _log(t["scout"], 0.25, TEAM_ID),
            _log(t["miner"], 0.125, TEAM_ID), _log(t["solo"], 4.0, None),
            _log(t["scout"], 9.0, TEAM_ID, at="2026-11-30T23:59:59")]  # the month before
    _, (research, later) = _months(logs, [_team(0.875)])
    assert research.data == {
        "name": "research", "team_id": TEAM_ID, "report_spend": 0.875, "report_requests": 3,
        "gateway_logged_spend": 0.875, "gateway_logged_requests": 3, "difference": 0.0,
        "matches": True, "keys_differing": {},
        "team_counter": {"spend": 0.875, "window": "lifetime",
                         "since": "2026-12-02T08:00:00Z", "compared": True, "matches": True,
                         "report_spend": 0.875}}
    assert later.team_id is None and later.counter is None


def test_a_key_of_the_team_that_is_no_agent_of_it_makes_a_named_difference() -> None:
    t = _tokens()
    logs = [_log(t["scout"], 0.5, TEAM_ID), _log(t["legacy"], 0.25, TEAM_ID),
            _log(t["miner"], 0.125, None)]  # its apply still to come: the key has no team yet
    _, (research, _) = _months(logs, [_team(0.75)])
    assert (research.report_spend, research.logged_spend) == (0.625, 0.75)
    assert not research.matches and research.difference == pytest.approx(0.125)
    assert research.keys_differing() == {
        t["legacy"]: {"gateway": 0.25, "report": 0.0, "key": "legacy (unmanaged)"},
        t["miner"]: {"gateway": 0.0, "report": 0.125, "key": "miner (agent)"}}
    assert research.counter_matches is False


def test_the_counter_is_compared_only_when_its_window_lies_inside_the_month() -> None:
    t = _tokens()
    logs = [_log(t["scout"], 0.5, TEAM_ID)]
    older = _team(3.0, created_at="2026-10-01T00:00:00Z")
    (research, _), = [_months(logs, [older])[1]]
    assert research.data["team_counter"] == {
        "spend": 3.0, "window": "lifetime", "since": "2026-10-01T00:00:00Z",
        "compared": False, "matches": None, "report_spend": 0.5}
    assert research.matches  # the logs still are
    windowed = _team(0.5, created_at="2026-10-01T00:00:00Z", budget_duration="30d",
                     budget_reset_at="2026-12-31T00:00:00Z")
    (research, _), = [_months(logs, [windowed])[1]]
    assert research.data["team_counter"]["window"] == "budget window"
    assert research.data["team_counter"]["since"] == "2026-12-01T00:00:00Z"
    assert research.counter_matches is True
    past = _months(logs, [windowed], now=dt.datetime(2027, 1, 3, tzinfo=UTC))[1][0]
    assert past.counter_compared is False  # the month is over: the counter went on


def test_a_window_opened_mid_month_is_compared_with_what_was_spent_since() -> None:
    t = _tokens()
    logs = [_log(t["scout"], 0.5, TEAM_ID, at="2026-12-05T10:00:00"),
            _log(t["miner"], 0.25, TEAM_ID, at="2026-12-12T10:00:00")]
    weekly = _team(0.25, budget_duration="7d", budget_reset_at="2026-12-17T00:00:00Z")
    report, (research, _) = _months(logs, [weekly])
    assert research.data["team_counter"] == {
        "spend": 0.25, "window": "budget window", "since": "2026-12-10T00:00:00Z",
        "compared": True, "matches": True, "report_spend": 0.25}
    assert research.report_spend == 0.75 and research.matches
    out = io.StringIO()
    render_usage(report, [], out, "table")
    assert "budget window since 2026-12-10T00:00:00Z: 0.25: matches (against its agents' keys " \
        "since then, 0.25)\n" in out.getvalue()


def test_every_format_shows_the_month_check_per_team() -> None:
    t = _tokens()
    report, _ = _months([_log(t["scout"], 0.5, TEAM_ID), _log(t["legacy"], 0.25, TEAM_ID)],
                        [_team(0.75)])
    data = report_data(report, [])
    assert problems("usage", data) == []
    teams = data["reconciliation"]["teams"]
    assert [t["name"] for t in teams] == ["research", "later"] and teams[1]["team_id"] is None
    out = io.StringIO()
    render_usage(report, [], out, "json")
    assert json.loads(out.getvalue())["reconciliation"]["teams"] == teams
    out = io.StringIO()
    render_usage(report, [], out, "table")
    text = out.getvalue()
    assert "Month check per team (its agents' keys summed, against the gateway's own figures " \
        "for the team):" in text
    assert f"  Team research (team_id {TEAM_ID}): its agents' keys 0.5 spend, 1 requests" in text
    assert "    - the gateway's spend logs of the month for the team (each request carries the " \
        "team_id of its key): 0.75, 2 requests: differs by 0.25" in text
    assert f"      - key {t['legacy'][:12]}… legacy (unmanaged): gateway 0.25, report 0" in text
    assert "    - the team's own spend counter (/v2/team/list `spend`, what LiteLLM checks " \
        "max_budget against), lifetime since 2026-12-02T08:00:00Z: 0.75: differs by 0.25" \
        in text
    assert "  Team later: not on the gateway (apply creates it)" in text
    out = io.StringIO()
    render_usage(report, [], out, "markdown")
    markdown = out.getvalue()
    assert "- Team `research` (team_id `tid-research`): its agents' keys 0.5 spend" in markdown
    assert "\n  - the gateway's spend logs of the month" in markdown
    assert f"\n    - key {t['legacy'][:12]}… `legacy (unmanaged)`: gateway 0.25" in markdown


def test_without_month_there_is_no_team_check() -> None:
    report = build_report(ESTATE, _keys(), [], MONTH)
    out = io.StringIO()
    render_usage(report, [], out, "table")
    assert "Month check per team" not in out.getvalue()
    assert "reconciliation" not in report_data(report, [])
