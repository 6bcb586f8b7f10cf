"""An agent leaving its team, its shared budget or its user: the key's team_id, budget_id or
user_id is cleared where the tool manages what it leaves, and only there."""

from __future__ import annotations

from tests.unit.teams_world import DESIRED, applied_rows, only, plan_of, team_key

SCOUT = "  - {name: scout, owner: sileya, team: research, budget: shared-small, models: " \
        "[MiniMax-M2.5]}\n"


def _scout(state, **fields) -> dict:
    return team_key("scout", only(state, "research")["team_id"], "reconciler:shared-small",
                    **fields)


def _key_changes(text: str, key: dict, state) -> list:
    return [c for c in plan_of(text, [key], state).changes if c.kind == "key"]


def test_an_agent_leaving_its_team_and_budget_has_its_key_moved_out_of_both() -> None:
    state, _ = applied_rows()
    standalone = DESIRED.replace(SCOUT, "  - {name: scout, owner: sileya, models: "
                                        "[MiniMax-M2.5]}\n")
    (update,) = _key_changes(standalone, _scout(state), state)
    assert (update.action, update.target) == ("update_key", "scout")
    assert update.before == {"team_id": only(state, "research")["team_id"],
                             "budget_id": "reconciler:shared-small"}
    assert update.after == {"team_id": None, "budget_id": None}


def test_an_agent_leaving_its_user_has_the_keys_user_id_cleared() -> None:
    state, _ = applied_rows()
    key = _scout(state)
    key["user_id"] = "alice"
    (update,) = _key_changes(DESIRED, key, state)
    assert update.after == {"user_id": None}


def test_a_key_in_a_team_the_tool_does_not_manage_stays_in_it() -> None:
    state, _ = applied_rows()
    key = team_key("scout", "hand-made-team-id", "hand-made-budget")
    key["user_id"] = "someone-not-declared"
    standalone = DESIRED.replace(SCOUT, "  - {name: scout, owner: sileya, models: "
                                        "[MiniMax-M2.5]}\n")
    assert _key_changes(standalone, key, state) == []


def test_moving_to_another_managed_team_is_one_update_of_the_team_id() -> None:
    state, _ = applied_rows(DESIRED.replace("agents:", "  - name: ops\n    models: "
                                            "[MiniMax-M2.5]\nagents:"))
    moved = DESIRED.replace("agents:", "  - name: ops\n    models: [MiniMax-M2.5]\nagents:") \
        .replace("team: research", "team: ops")
    (update,) = _key_changes(moved, _scout(state), state)
    assert update.after == {"team_id": only(state, "ops")["team_id"]}
