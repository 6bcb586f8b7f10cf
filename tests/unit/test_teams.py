"""Teams, users and budgets: what validate says, what a plan proposes, what the guard refuses.

Live rows come from the sandbox's own handlers (teams_world.py), so every team carries the
creator admin (`default_user_id`) the real proxy adds to a new team."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.errors import ForbiddenChangeError, PlanError
from reconciler.core.input.yamlsource import Source
from tests.unit.builders import key_row, problems_of, token_of
from tests.unit.teams_world import (
    DESIRED,
    applied_rows,
    declared,
    live,
    only,
    plan_of,
    team_key,
)

PINNED_RAW = "sk-sileya-fixed-key-0001"


def _actions(text: str, keys: list | None = None, state=None) -> list[tuple[str, str]]:
    state = state if state is not None else applied_rows()[0]
    return [(c.action, c.target) for c in plan_of(text, keys or [], state).changes]


def test_an_applied_team_estate_plans_empty_and_the_creator_admin_is_not_drift() -> None:
    state, _ = applied_rows()
    research = only(state, "research")
    # The proxy added its creator as admin; desired/ never declared it.
    assert {"user_id": "default_user_id", "user_email": None, "role": "admin"} in \
        research["members_with_roles"]
    key = team_key("scout", research["team_id"], "reconciler:shared-small")
    assert _actions(DESIRED, [key], state) == []


def test_a_new_estate_creates_users_and_budgets_before_teams_and_teams_before_keys() -> None:
    from reconciler.sandbox.state import State

    plan = plan_of(DESIRED, [], State())
    assert [(c.action, c.target) for c in plan.changes] == [
        ("create_user", "alice"), ("create_user", "bob"),
        ("create_budget", "shared-small"), ("create_team", "research"), ("create_key", "scout"),
    ]
    team, key = plan.changes[3], plan.changes[4]
    # The key joins the team by the id the team is created with, in the same plan.
    assert key.after["team_id"] == team.after["team_id"]
    assert key.after["budget_id"] == "reconciler:shared-small"
    assert team.after["members_with_roles"] == [{"user_id": "alice", "role": "user"}]
    assert plan.changes[0].after["auto_create_key"] is False


def test_validate_names_file_and_line_of_every_team_problem() -> None:
    text = DESIRED.replace("MiniMax-M2.7]\n", "MiniMax-M2.7, MiniMax-M2.1]\n", 1) \
        .replace("models: [MiniMax-M2.5]}", "models: [MiniMax-M2.7, MiniMax-M2.1]}") \
        .replace("team: research,", "team: research, budget: nowhere,") \
        .replace("budget: shared-small, models", "models") \
        .replace("{user: alice, role: user}", "{user: alice, role: user}, {user: carol}")
    text += "  - {name: lone, owner: x, team: ghosts, models: [MiniMax-M2.5]}\n"
    problems = problems_of([Source("desired.yaml", text)])
    assert problems == [
        "desired.yaml:14: teams[research].members[1].user: user 'carol' is declared nowhere "
        "(add it under users:)",
        "desired.yaml:16: agents[scout].budget: budget 'nowhere' is declared nowhere (add it "
        "under budgets:)",
        "desired.yaml:16: agents[scout].models[1]: 'MiniMax-M2.1' is not among the models of "
        "team 'research' (MiniMax-M2.5, MiniMax-M2.7): the gateway would refuse it",
        "desired.yaml:17: agents[lone].team: team 'ghosts' is declared nowhere (add it under "
        "teams:)",
    ]


def test_a_team_max_parallel_requests_is_refused_with_the_reason() -> None:
    text = DESIRED.replace("    max_budget: 100\n", "    max_budget: 100\n    "
                           "max_parallel_requests: 4\n")
    (problem,) = problems_of([Source("t.yaml", text)])
    assert problem.startswith("t.yaml:13: teams[research].max_parallel_requests: LiteLLM drops "
                              "a team's max_parallel_requests (/team/new and /team/update "
                              "answer null)")


def test_each_declared_field_of_a_team_is_one_update_with_member_calls() -> None:
    state, _ = applied_rows()
    text = DESIRED.replace("max_budget: 100", "max_budget: 150\n    rpm_limit: 7") \
        .replace("[{user: alice, role: user}]", "[{user: bob, role: user}]") \
        .replace("    budget_duration: 30d\n", "    budget_duration: 30d\n"
                 "    model_aliases: {fast: MiniMax-M2.5}\n    metadata: {cost: r1}\n")
    plan = plan_of(text, [_scout(state)], state)
    (update,) = plan.changes
    assert update.verb is Verb.UPDATE and not update.drift
    assert update.before["members"] == ["alice (user)"]
    assert update.after["members"] == ["bob (user)"]
    assert (update.before["max_budget"], update.after["max_budget"]) == (100, 150)
    assert update.after["model_aliases"] == {"fast": "MiniMax-M2.5"}
    # The creator admin is never removed: it is the proxy's, not desired/'s.
    assert update.spec == {"members": {"add": [{"user_id": "bob", "role": "user"}],
                                       "remove": [{"user_id": "alice"}], "role": []}}


def test_a_team_blocked_by_hand_is_held_and_never_unblocked() -> None:
    state, _ = applied_rows()
    only(state, "research")["blocked"] = True
    plan = plan_of(DESIRED, [], state)
    assert [(h.kind, h.name) for h in plan.holds] == [("held_team", "research")]
    assert not [c for c in plan.changes if c.kind == "team"]
    guard = Guard(GuardContext.build(declared(DESIRED), live([], state)))
    research = only(state, "research")
    unblock = Change("team", Verb.UNBLOCK, "research", before={"blocked": True},
                     after={"blocked": False}, ref=research["team_id"],
                     spec={"metadata": research["metadata"]})
    with pytest.raises(ForbiddenChangeError, match="that team is held"):
        guard(unblock)


def test_a_removed_team_is_blocked_and_with_delete_deleted() -> None:
    state, _ = applied_rows()
    without = DESIRED.split("teams:")[0] + "teams: []\n"
    plan = plan_of(without, [], state)
    (block,) = plan.changes
    assert (block.action, block.target, block.reason) == (
        "block_team", "research", "team removed from desired/: blocked, with its keys")
    deleted = plan_of(without.replace("{scope: default}", "{scope: default, removed_teams: "
                                      "delete}"), [], state)
    assert [(c.action, c.target) for c in deleted.changes] == [("delete_team", "research")]


def test_a_removed_teams_keys_are_blocked_with_it() -> None:
    state, _ = applied_rows()
    research = only(state, "research")
    key = team_key("scout", research["team_id"], "reconciler:shared-small",
                   applied={"sha256": "x", "blocked": False, "protected": False})
    without = DESIRED.split("teams:")[0] + "teams: []\nagents: []\n"
    assert sorted(_actions(without, [key], state)) == [("block_key", "scout"),
                                                       ("block_team", "research")]


def _scout(state) -> dict:
    return team_key("scout", only(state, "research")["team_id"], "reconciler:shared-small")


def _pinned_in(state, team_id: str | None, budget_id: str | None = None) -> dict:
    row = key_row("sileya", raw=PINNED_RAW, models=["MiniMax-M2.5"])
    row.update(team_id=team_id, budget_id=budget_id)
    return row


def test_the_pinned_keys_team_is_never_narrowed_or_blocked() -> None:
    state, _ = applied_rows()
    research = only(state, "research")
    pinned = _pinned_in(state, research["team_id"])
    narrower = DESIRED.replace("models: [MiniMax-M2.5, MiniMax-M2.7]", "models: [MiniMax-M2.5]")
    with pytest.raises(PlanError, match="team 'research': that team belongs to a pinned key: "
                                        r"the change would narrow its reach \(models\)"):
        plan_of(narrower, [pinned], state)
    with pytest.raises(PlanError, match=r"narrow its reach \(blocked\)"):
        plan_of(DESIRED.replace("budget_duration: 30d", "budget_duration: 30d\n    blocked: "
                                "true"), [pinned], state)
    with pytest.raises(PlanError, match="team 'research' left desired/"):
        plan_of(DESIRED.split("teams:")[0] + "teams: []\n", [pinned], state)
    # Widening is fine: more budget is more reach.
    wider = plan_of(DESIRED.replace("max_budget: 100", "max_budget: 500"),
                    [pinned, _scout(state)], state)
    assert [c.action for c in wider.changes] == ["update_team"]
    guard = Guard(GuardContext.build(declared(DESIRED), live([pinned], state)))
    block = Change("team", Verb.BLOCK, "research", before={"blocked": False},
                   after={"blocked": True}, ref=research["team_id"],
                   spec={"metadata": research["metadata"]})
    with pytest.raises(ForbiddenChangeError, match="belongs to a pinned key"):
        guard(block)


def test_the_pinned_keys_budget_and_user_never_narrow() -> None:
    state, _ = applied_rows()
    pinned = _pinned_in(state, None, "reconciler:shared-small")
    pinned["user_id"] = "alice"
    with pytest.raises(PlanError, match=r"budget 'shared-small': that budget belongs to a "
                                        r"pinned key: the change would narrow its reach "
                                        r"\(max_budget\)"):
        plan_of(DESIRED.replace("max_budget: 10,", "max_budget: 5,"), [pinned], state)
    with pytest.raises(PlanError, match="user 'alice' owns a pinned key"):
        plan_of(DESIRED.replace("{id: alice, email: alice@example.com}",
                                "{id: alice, email: alice@example.com, role: "
                                "internal_user_viewer}"), [pinned], state)
    guard = Guard(GuardContext.build(declared(DESIRED), live([pinned], state)))
    with pytest.raises(ForbiddenChangeError, match="belongs to a pinned key"):
        guard(Change("budget", Verb.UPDATE, "shared-small", before={"max_budget": 10},
                     after={"max_budget": 1}, ref="reconciler:shared-small"))
    assert token_of(PINNED_RAW) == pinned["token"]


def test_removed_users_and_budgets_stay_unless_settings_say_delete() -> None:
    state, _ = applied_rows()
    text = DESIRED.replace("  - {id: bob}\n", "").replace(
        "budgets:\n  - {name: shared-small, max_budget: 10, rpm_limit: 5}\n", "budgets: []\n"
    ).replace("budget: shared-small, ", "")
    scout = {**_scout(state), "budget_id": None}
    plan = plan_of(text, [scout], state)
    assert plan.changes == ()
    assert "user 'bob' left desired/: it stays (removing a user is refused unless " \
        "settings.removed_users: delete)" in plan.warnings
    deleting = text.replace("{scope: default}", "{scope: default, removed_users: delete, "
                            "removed_budgets: delete}")
    assert _actions(deleting, [scout], state) == [("delete_budget", "shared-small"),
                                             ("delete_user", "bob")]


def test_unmanaged_objects_are_untouched_or_adopted_when_asked() -> None:
    state, _ = applied_rows(DESIRED.replace("scope: default", "scope: other"))
    for row in [*state.teams.values(), *state.users.values()]:
        row["metadata"] = {}  # made by hand: no marker
    conflicted = DESIRED.replace("budget: shared-small, ", "")
    with pytest.raises(PlanError) as caught:
        plan_of(conflicted, [], state)
    assert "team 'research': a team this tool did not create has that alias" in str(caught.value)
    assert "user 'alice': that id belongs to a user this tool did not create" in str(caught.value)
    adopting = conflicted.replace("  - name: research\n", "  - name: research\n    adopt: true\n") \
        .replace("{id: alice, email: alice@example.com}", "{id: alice, email: "
                 "alice@example.com, adopt: true}").replace("{id: bob}", "{id: bob, adopt: true}")
    plan = plan_of(adopting, [], state)
    adopted = [(c.action, c.target) for c in plan.changes if c.verb is Verb.ADOPT]
    assert adopted == [("adopt_user", "alice"), ("adopt_user", "bob"), ("adopt_team", "research")]
    team = next(c for c in plan.changes if c.kind == "team")
    assert team.ref == only(state, "research")["team_id"]  # the id it has is kept
    assert team.after["metadata"]["managed_by"] == "reconciler"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda c: replace(c, after={**c.after, "team_id": "elsewhere"}),
         "its team_id is not the one the tool keeps"),
        (lambda c: replace(c, after={**c.after, "models": []}), "non-empty list"),
        (lambda c: replace(c, after={**c.after, "organization_id": "o"}),
         "never writes: organization_id"),
        (lambda c: replace(c, target="other"), "desired/ declares no such team"),
        (lambda c: replace(c, verb=Verb.ROTATE), "the guard has no rule for it"),
    ],
)
def test_a_tampered_team_create_is_refused(tamper, message: str) -> None:
    from reconciler.sandbox.state import State

    plan = plan_of(DESIRED, [], State())
    create = next(c for c in plan.changes if c.kind == "team")
    guard = Guard(GuardContext.build(declared(DESIRED), live([], State())))
    guard(create)  # the honest one passes
    with pytest.raises(ForbiddenChangeError, match=message):
        guard(tamper(create))


def test_a_budget_create_must_carry_this_scopes_id() -> None:
    from reconciler.sandbox.state import State

    guard = Guard(GuardContext.build(declared(DESIRED), live([], State())))
    with pytest.raises(ForbiddenChangeError, match="its budget_id must be "
                                                   "'reconciler:shared-small'"):
        guard(Change("budget", Verb.CREATE, "shared-small", after={"budget_id": "shared-small"}))


def test_a_key_joins_only_the_team_desired_names() -> None:
    state, _ = applied_rows()
    research = only(state, "research")
    key = team_key("scout", research["team_id"], "reconciler:shared-small")
    guard = Guard(GuardContext.build(declared(DESIRED), live([key], state)))
    with pytest.raises(ForbiddenChangeError, match="its team_id is not the one desired/ names"):
        guard(Change("key", Verb.UPDATE, "scout", before={}, after={"team_id": "other"},
                     ref=key["token"]))
