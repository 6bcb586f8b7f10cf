"""The month check per team as table or markdown lines (JSON: `reconciliation.teams`)."""

from __future__ import annotations

from typing import Any, TextIO

from reconciler.core.masking import safe_text
from reconciler.core.render.markdown import code_span

LOGS = ("the gateway's spend logs of the month for the team (each request carries the team_id "
        "of its key)")
COUNTER = "the team's own spend counter (/v2/team/list `spend`, what LiteLLM checks max_budget " \
          "against)"


def write_team_months(teams: list[dict[str, Any]], out: TextIO, markdown: bool) -> None:
    if not teams:
        return
    out.write("\nMonth check per team (its agents' keys summed, against the gateway's own "
              "figures for the team):\n")
    for team in teams:
        _write_team(team, out, markdown)


def _write_team(team: dict[str, Any], out: TextIO, markdown: bool) -> None:
    # Markdown nests list items (an indented line there would read as code); text indents.
    top, item, sub = ("- ", "  - ", "    - ") if markdown else ("  ", "    - ", "      - ")
    name = _name(team["name"], markdown)
    if team["team_id"] is None:
        out.write(f"{top}Team {name}: not on the gateway (apply creates it); its agents' keys "
                  f"{team['report_spend']:.10g} spend, {team['report_requests']} requests\n")
        return
    out.write(f"{top}Team {name} (team_id {_name(team['team_id'], markdown)}): its agents' "
              f"keys {team['report_spend']:.10g} spend, {team['report_requests']} requests\n")
    state = "matches" if team["matches"] else f"differs by {team['difference']:.10g}"
    out.write(f"{item}{LOGS}: {team['gateway_logged_spend']:.10g}, "
              f"{team['gateway_logged_requests']} requests: {state}\n")
    for token, pair in team["keys_differing"].items():
        out.write(f"{sub}key {token[:12]}… {_name(pair['key'], markdown)}: gateway "
                  f"{pair['gateway']:.10g}, report {pair['report']:.10g}\n")
    counter = team["team_counter"]
    if counter is None:
        return
    since = f" since {counter['since']}" if counter["since"] else ""
    if counter["compared"]:
        against = "" if counter["report_spend"] == team["report_spend"] else \
            f" (against its agents' keys since then, {counter['report_spend']:.10g})"
        verdict = "matches" + against if counter["matches"] else \
            f"differs by {counter['spend'] - counter['report_spend']:.10g}{against} (it " \
            "counts every key of the team; written 10-15 s late: run again to settle it)"
    else:
        verdict = "not compared: its window does not lie inside the month"
    out.write(f"{item}{COUNTER}, {counter['window']}{since}: {counter['spend']:.10g}: "
              f"{verdict}\n")


def _name(text: str, markdown: bool) -> str:
    return code_span(text) if markdown else safe_text(text)
