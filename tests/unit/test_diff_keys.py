"""plan_changes for virtual keys: agents in desired/ vs /key/list full objects."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.input.desired import Estate
from tests.unit.builders import estate, key_row, managed_key, model_row, parse_live, token_of

HEADER = "config_models: [MiniMax-M2.7, MiniMax-M2.5]\n"
LIGOUDAN = """\
  - name: 李狗蛋
    owner: sileya
    models: [MiniMax-M2.7, MiniMax-M2.5]
    max_budget: 50
    budget_duration: 30d
    rpm_limit: 60
    metadata: {team: research}
"""
LIGOUDAN_LIVE: dict[str, Any] = {
    "models": ["MiniMax-M2.5", "MiniMax-M2.7"],  # another order than desired/
    "max_budget": 50.0,
    "budget_duration": "30d",
    "rpm_limit": 60,
    "metadata": {"team": "research"},
}


def agents(*blocks: str, extra: str = "") -> Estate:
    return estate(HEADER + extra + "agents:\n" + "".join(blocks))


# The gateway's config.yaml serves both config_models, so no plan warns about them.
CONFIG_ROWS = [
    model_row("cfg-m27", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False),
    model_row("cfg-m25", "MiniMax-M2.5", {"model": "minimax/MiniMax-M2.5"}, db_model=False),
]


def plan_for(desired: Estate, *keys: dict[str, Any]) -> Plan:
    return plan_changes(desired, parse_live(list(keys), CONFIG_ROWS))


def key_untouched(plan: Plan) -> list[dict[str, str]]:
    return [u.data for u in plan.untouched if u.kind != "config_model"]


def actions(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action, c.target) for c in plan.changes]


def test_new_agent_becomes_create_key_with_alias_models_and_marked_metadata() -> None:
    plan = plan_for(agents(LIGOUDAN))
    (change,) = plan.changes
    assert (change.action, change.target) == ("create_key", "李狗蛋")
    record = change.after["metadata"].pop("reconciler_applied")
    assert set(record) == {"sha256", "blocked", "protected"}
    assert (record["blocked"], record["protected"]) == (False, False)
    assert change.after == {
        "key_alias": "李狗蛋",
        "models": ["MiniMax-M2.7", "MiniMax-M2.5"],
        "max_budget": 50,
        "budget_duration": "30d",
        "rpm_limit": 60,
        "tpm_limit": None,
        "metadata": {
            "team": "research",
            "agent": "李狗蛋",
            "owner": "sileya",
            "managed_by": "reconciler",
        },
        "blocked": False,
    }


def test_matching_live_key_with_server_normalisations_needs_no_change() -> None:
    live = managed_key("李狗蛋", blocked=None, **LIGOUDAN_LIVE)  # blocked null == false
    plan = plan_for(agents(LIGOUDAN), live)
    assert plan.changes == ()
    assert not plan.has_changes
    assert (plan.existing.get("key"), plan.existing.get("model")) == (1, 0)


def test_update_key_holds_only_the_fields_that_differ() -> None:
    live = managed_key("李狗蛋", blocked=False, **{**LIGOUDAN_LIVE, "rpm_limit": 10})
    (change,) = plan_for(agents(LIGOUDAN), live).changes
    assert change.action == "update_key"
    assert change.before == {"rpm_limit": 10, "metadata": live["metadata"]}
    # /key/update replaces metadata: the whole of it goes along, with the record refreshed.
    assert change.after["rpm_limit"] == 60
    assert change.after["metadata"]["reconciler_applied"]["sha256"]
    assert sorted(change.after) == ["metadata", "rpm_limit"]
    assert change.ref == live["token"]
    assert change.label == live["key_name"]


def test_changed_models_and_metadata_are_both_in_one_update() -> None:
    live = managed_key(
        "李狗蛋", **{**LIGOUDAN_LIVE, "models": ["MiniMax-M2.7"], "metadata": {"team": "ops"}}
    )
    (change,) = plan_for(agents(LIGOUDAN), live).changes
    assert sorted(change.after) == ["metadata", "models"]
    assert change.before["models"] == ["MiniMax-M2.7"]
    assert change.after["metadata"]["team"] == "research"
    assert change.before["metadata"]["team"] == "ops"


def test_blocked_agent_blocks_its_key_and_unblocked_agent_unblocks_it() -> None:
    blocked_agent = LIGOUDAN + "    blocked: true\n"
    live = managed_key("李狗蛋", blocked=False, **LIGOUDAN_LIVE)
    (block,) = plan_for(agents(blocked_agent), live).changes
    assert (block.action, block.before, block.after) == (
        "block_key",
        {"blocked": False},
        {"blocked": True},
    )

    # Only a block the tool itself recorded is lifted when desired/ says blocked: false.
    live = managed_key("李狗蛋", blocked=True, applied={"blocked": True}, **LIGOUDAN_LIVE)
    (*_, unblock) = plan_for(agents(LIGOUDAN), live).changes
    assert (unblock.action, unblock.after, unblock.ref) == (
        "unblock_key",
        {"blocked": False},
        live["token"],
    )


def test_removed_agent_is_blocked_by_default() -> None:
    gone = managed_key("妮可", models=["MiniMax-M2.5"])
    (change,) = plan_for(agents(LIGOUDAN), managed_key("李狗蛋", **LIGOUDAN_LIVE), gone).changes
    assert (change.action, change.target, change.ref) == (
        "block_key",
        "妮可",
        gone["token"],
    )
    assert change.reason == "agent removed from desired/"


def test_removed_agent_is_deleted_when_settings_say_delete() -> None:
    gone = managed_key("妮可", blocked=True)
    desired = agents(LIGOUDAN, extra="settings: {removed_agents: delete}\n")
    (change,) = plan_for(desired, managed_key("李狗蛋", **LIGOUDAN_LIVE), gone).changes
    assert (change.action, change.target, change.ref) == (
        "delete_key",
        "妮可",
        gone["token"],
    )


def test_already_blocked_removed_agent_needs_no_change() -> None:
    gone = managed_key("妮可", blocked=True)
    assert plan_for(agents(LIGOUDAN), managed_key("李狗蛋", **LIGOUDAN_LIVE), gone).changes == ()


def test_unmanaged_key_is_never_changed_and_is_listed_untouched() -> None:
    stranger = key_row("alice-key", models=["gpt-4o-mini"], metadata={"team": "x"})
    plan = plan_for(agents(LIGOUDAN), stranger)
    assert actions(plan) == [("create_key", "李狗蛋")]
    assert all(c.ref != stranger["token"] for c in plan.changes)
    assert key_untouched(plan) == [
        {"kind": "unmanaged_key", "name": "alice-key", "detail": stranger["key_name"]}
    ]


def test_unmanaged_key_holding_an_agents_alias_forbids_any_plan() -> None:
    squatter = key_row("李狗蛋", models=["MiniMax-M2.7"])
    with pytest.raises(PlanError) as caught:
        plan_for(agents(LIGOUDAN), squatter)
    assert "agent '李狗蛋': the alias is taken by a key this scope did not create" in str(
        caught.value
    )


@pytest.mark.parametrize("pin", ["alias: 李狗蛋-admin", "key_sha256: {sha}"])
def test_pinned_key_is_never_changed_even_when_it_looks_managed(pin: str) -> None:
    raw = "sk-pinnedpinnedpinned0001"
    pinned = managed_key("李狗蛋-admin", raw=raw, models=["old"], blocked=False)
    text = "pinned:\n  - " + pin.format(sha=token_of(raw)) + "\n"
    plan = plan_for(agents(LIGOUDAN, extra=text), managed_key("李狗蛋", **LIGOUDAN_LIVE), pinned)
    assert plan.changes == ()  # a managed key with no agent would otherwise be blocked
    (item,) = key_untouched(plan)
    assert item["kind"] == "pinned_key"
    assert item["detail"] == f"{pinned['key_name']} untouched"
    assert plan.warnings == ()


def test_pinned_key_missing_or_blocked_on_the_gateway_is_a_warning() -> None:
    text = "pinned:\n  - alias: sileya\n  - key_sha256: " + "ab" * 32 + "\n"
    blocked = key_row("sileya", blocked=True)
    plan = plan_for(agents(LIGOUDAN, extra=text), managed_key("李狗蛋", **LIGOUDAN_LIVE), blocked)
    assert plan.changes == ()
    assert plan.warnings == (
        f"pinned key sileya ({blocked['key_name']}) is blocked on the gateway",
        "pinned key sha256:abababababab... is missing on the gateway",
    )


def test_agent_alias_held_by_a_pinned_key_forbids_any_plan() -> None:
    raw = "sk-pinnedpinnedpinned0002"
    pinned = key_row("李狗蛋", raw=raw)
    text = f"pinned:\n  - key_sha256: {token_of(raw)}\n"
    with pytest.raises(PlanError, match="李狗蛋"):
        plan_for(agents(LIGOUDAN, extra=text), pinned)


def test_key_whose_secret_was_never_delivered_is_deleted_then_recreated() -> None:
    lost = managed_key(
        "李狗蛋",
        blocked=True,
        **{
            **LIGOUDAN_LIVE,
            "metadata": {"team": "research", "reconciler_secret_undelivered": True},
        },
    )
    plan = plan_for(agents(LIGOUDAN), lost)
    assert actions(plan) == [("delete_key", "李狗蛋"), ("create_key", "李狗蛋")]
    assert plan.changes[0].ref == lost["token"]
    assert plan.changes[1].after["key_alias"] == "李狗蛋"


def test_key_of_another_scope_is_left_alone() -> None:
    other = key_row("妮可", metadata={"agent": "妮可", "managed_by": "reconciler/team-b"})
    plan = plan_for(agents(LIGOUDAN), other)
    assert actions(plan) == [("create_key", "李狗蛋")]
    assert [u["kind"] for u in key_untouched(plan)] == ["other_scope_key"]
