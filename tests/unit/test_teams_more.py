"""Teams beyond the basics: drift, protected, ignore_fields, hostile names, every plan format,
and the proxy's licence refusals in one line (from the recorded real answers)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from reconciler.core.engine.changes import Verb
from reconciler.core.errors import PlanError
from reconciler.core.input.yamlsource import Source
from reconciler.core.render import render
from reconciler.gateway.transport import _http_error
from tests.unit.builders import problems_of
from tests.unit.teams_world import DESIRED, applied_rows, only, plan_of, team_key

RECORDED = Path(__file__).resolve().parents[1] / "recorded" / "teams"


def _scout(state) -> dict:
    return team_key("scout", only(state, "research")["team_id"], "reconciler:shared-small")


def test_a_team_changed_outside_desired_is_drift_and_put_back() -> None:
    state, _ = applied_rows()
    only(state, "research")["max_budget"] = 5000.0  # by hand, in the UI
    (change,) = plan_of(DESIRED, [_scout(state)], state).changes
    assert (change.action, change.drift) == ("update_team", True)
    assert (change.before["max_budget"], change.after["max_budget"]) == (5000, 100)


def test_ignored_team_fields_are_never_compared_and_protected_teams_stay() -> None:
    state, _ = applied_rows(DESIRED.replace("    budget_duration: 30d\n", "    budget_duration:"
                                            " 30d\n    protected: true\n"))
    research = only(state, "research")
    research["max_budget"] = 5000.0
    research["members_with_roles"].append({"user_id": "sso-9", "user_email": None,
                                           "role": "user"})
    ignoring = DESIRED.replace("    budget_duration: 30d\n", "    budget_duration: 30d\n"
                               "    protected: true\n    ignore_fields: [max_budget, members]\n")
    (record,) = plan_of(ignoring, [_scout(state)], state).changes
    # Only the record of what desired/ declares is written; the ignored fields are not.
    assert (record.action, record.reason, record.drift) == (
        "update_team", "records what desired/ now declares", False)
    assert set(record.after) == {"metadata"}
    gone = plan_of(DESIRED.split("teams:")[0] + "teams: []\n", [], state)
    assert not [c for c in gone.changes if c.kind == "team"]
    assert "team 'research' is protected: it stays although it left desired/; set protected: " \
        "false and apply before removing it" in gone.warnings


def test_hostile_team_names_are_refused_and_live_ones_printed_escaped() -> None:
    hostile = DESIRED.replace("name: research", 'name: "re\\u202esearch"')
    (problem, *_) = problems_of([Source("t.yaml", hostile)])
    assert problem.startswith("t.yaml:10: teams[")
    state, _ = applied_rows()
    only(state, "research")["team_alias"] = "evil\x1b[31m"  # made by hand on the gateway
    with pytest.raises(PlanError) as caught:  # renamed by hand: the tool's id is taken
        plan_of(DESIRED, [], state)
    assert "is held by the team aliased 'evil\\x1b[31m' (renamed outside desired/?)" in \
        str(caught.value) and "\x1b" not in str(caught.value)
    plan = plan_of(DESIRED.split("teams:")[0] + "teams: []\n", [], state)
    out = io.StringIO()
    render(plan, out, fmt="text")
    assert "\x1b" not in out.getvalue() and "block team evil\\x1b[31m" in out.getvalue()


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "drift"])
def test_every_format_shows_team_changes(fmt: str) -> None:
    state, _ = applied_rows()
    only(state, "research")["max_budget"] = 1.0
    only(state, "research")["blocked"] = True
    plan = plan_of(DESIRED.replace("rpm_limit: 5}", "rpm_limit: 6}"), [_scout(state)], state)
    out = io.StringIO()
    render(plan, out, fmt=fmt)
    text = out.getvalue()
    if fmt == "json":
        data = json.loads(text)
        assert {c["address"] for c in data["changes"]} == {"team.research",
                                                           "budget.shared-small"}
        assert data["holds"][0]["kind"] == "held_team"
    elif fmt == "drift":
        assert "research" in text and "held" in text.lower()
    else:
        assert "update team research" in text and "[drift: changed outside desired/]" in text
        assert "update budget shared-small" in text
        assert "held: research blocked outside desired/ (by hand)" in text
    assert [c.verb for c in plan.changes if c.kind == "team"] == [Verb.UPDATE]


@pytest.mark.parametrize(("name", "line"), [
    ("key_generate_tags", "POST /key/generate answered 403: This feature is only available for "
     "LiteLLM Enterprise users: tags: a LiteLLM Enterprise feature (this proxy has no licence)"),
    ("organization_new", "POST /organization/new answered 403: Organizations are only "
     "available for LiteLLM Enterprise users: a LiteLLM Enterprise feature (this proxy has no "
     "licence)"),
    ("team_member_update_admin", "POST /team/member_update answered 400: Assigning team admins "
     "is a premium feature: a LiteLLM Enterprise feature (this proxy has no licence)"),
])
def test_licence_refusals_are_one_line_without_a_key_hint(name: str, line: str) -> None:
    (path,) = RECORDED.glob(f"*_{name}.json")
    pair = json.loads(path.read_text(encoding="utf-8"))
    error = _http_error("POST", pair["request"]["path"],
                        httpx.Response(pair["status"], json=pair["response"]))
    assert str(error) == line


def test_an_agents_key_belongs_to_its_user_and_the_user_must_be_declared() -> None:
    state, _ = applied_rows()
    text = DESIRED.replace("budget: shared-small, models", "budget: shared-small, user: alice, "
                           "models")
    (change,) = plan_of(text, [_scout(state)], state).changes
    assert (change.action, change.before, change.after) == (
        "update_key", {"user_id": None}, {"user_id": "alice"})
    carol = text.replace("user: alice, models", "user: carol, models")
    (problem,) = problems_of([Source("a.yaml", carol)])
    assert problem == "a.yaml:16: agents[scout].user: user 'carol' is declared nowhere (add " \
        "it under users:)"


def test_retiring_most_teams_at_once_is_over_the_team_rail() -> None:
    many = DESIRED.replace("settings: {scope: default}", "settings: {scope: default, safety: "
                           "{min_existing: 2}}") + "".join(
        f"teams_extra_{i}: null\n" for i in range(0))
    teams = "".join(f"  - {{name: t{i}, models: [MiniMax-M2.5]}}\n" for i in range(4))
    many = many.replace("agents:\n", teams + "agents:\n")
    state, _ = applied_rows(many)
    fewer = many.replace(teams, "")
    plan = plan_of(fewer, [_scout(state)], state)
    assert [c.action for c in plan.changes] == ["block_team"] * 4
    rail = next(r for r in plan.rails.rails if (r.kind, r.measure) == ("team", "destroy"))
    assert (rail.count, rail.base, rail.exceeded) == (4, 5, True)
    assert plan.rails.verdict == "refused"


def test_a_member_change_reads_as_added_and_removed_names() -> None:
    state, _ = applied_rows()
    text = DESIRED.replace("[{user: alice, role: user}]", "[{user: bob, role: user}]").replace(
        "    budget_duration: 30d\n", "    budget_duration: 30d\n    model_aliases: {fast: "
        "MiniMax-M2.5}\n")
    out = io.StringIO()
    render(plan_of(text, [_scout(state)], state), out, fmt="text")
    lines = out.getvalue().splitlines()
    assert '      members: + "bob (user)", - "alice (user)"' in lines
    assert '      model_aliases.fast: null → "MiniMax-M2.5"' in lines
    assert not [line for line in lines if "model_aliases: {}" in line]
