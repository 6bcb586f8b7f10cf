"""Usage per team: the team's agents' spend against its budget, in every format, and a team
over --budget-alert flagged with the step that stops it."""

from __future__ import annotations

import csv
import io
import json

from reconciler.core.observe.usage import KeyClass, KeyUsage, Tally, UsageReport
from reconciler.core.observe.usage_flags import Thresholds, flag_usage
from reconciler.core.observe.usage_teams import team_usage
from reconciler.core.render.usage import render_usage
from tests.unit.builders import estate
from tests.unit.test_usage import DAY

ESTATE = estate("""
config_models: [A]
teams:
  - {name: research, models: [A], max_budget: 10}
  - {name: idle, models: [A]}
agents:
  - {name: scout, owner: x, team: research, models: [A]}
  - {name: miner, owner: x, team: research, models: [A]}
  - {name: solo, owner: x, models: [A]}
""")


def _usage(name: str, spend: float, requests: int) -> KeyUsage:
    return KeyUsage(name, KeyClass.AGENT, "x", f"t-{name}", "sk-...", DAY,
                    total=Tally(requests=requests, spend=spend))


def _report() -> UsageReport:
    keys = [_usage("scout", 6.0, 30), _usage("miner", 3.0, 10), _usage("solo", 50.0, 99)]
    return UsageReport(DAY, keys, teams=team_usage(ESTATE, keys))


def test_a_team_sums_its_agents_and_is_flagged_at_the_alert_share() -> None:
    report = _report()
    research, idle = report.teams
    assert (research.agents, research.spend, research.requests) == (("miner", "scout"), 9.0, 40)
    assert (idle.spend, idle.budget_share) == (0, None)
    flags = [f for f in flag_usage(report, Thresholds(budget_share=0.8)) if f.kind ==
             "team-budget"]
    assert [(f.name, f.reason, f.stop) for f in flags] == [(
        "research", "its agents spent 90 % of the team's budget (9 of 10)",
        "blocked: true on team research in desired/ (or raise its max_budget there if it "
        "should go on), then reconciler apply")]
    assert not [f for f in flag_usage(report, Thresholds(budget_share=0.95))
                if f.kind == "team-budget"]


def test_every_usage_format_shows_the_teams() -> None:
    report = _report()
    flags = flag_usage(report, Thresholds())
    out = io.StringIO()
    render_usage(report, flags, out, "json")
    teams = json.loads(out.getvalue())["teams"]
    assert teams[0] == {"name": "research", "agents": ["miner", "scout"], "spend": 9.0,
                        "requests": 40, "max_budget": 10.0, "budget_used": 0.9}
    for fmt in ("table", "markdown"):
        out = io.StringIO()
        render_usage(report, flags, out, fmt)
        assert "Per team (its agents' keys):" in out.getvalue()
        assert "research" in out.getvalue() and "90" in out.getvalue()


def test_the_csv_has_a_row_per_team_after_the_keys() -> None:
    out = io.StringIO()
    render_usage(_report(), [], out, "csv")
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    teams = [r for r in rows if r[1] == "team"]
    assert [r[:11] for r in teams] == [
        ["research", "team", "", "", "40", "", "", "9", "", "10", "90.00 %"],
        ["idle", "team", "", "", "0", "", "", "0", "", "", ""]]
    assert rows.index(teams[0]) > max(i for i, r in enumerate(rows) if r[1] == "agent")
