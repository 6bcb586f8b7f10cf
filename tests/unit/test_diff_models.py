"""plan_changes for model deployments: desired models: vs /model/info rows."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.input.desired import Estate
from tests.unit.builders import estate, managed_model, model_row, parse_live

PARAMS: dict[str, Any] = {
    "model": "minimax/MiniMax-M2.5",
    "api_base": "https://api.minimax.io/v1",
    "api_key": "os.environ/MINIMAX_API_KEY",
    "rpm": 120,
}
INFO = {"description": "MiniMax M2.5, general agent work"}
MODELS_YAML = """\
models:
  - id: minimax-m2-5
    model_name: MiniMax-M2.5
    litellm_params:
      model: minimax/MiniMax-M2.5
      api_base: https://api.minimax.io/v1
      api_key: {api_key}
      rpm: {rpm}
    model_info:
      description: MiniMax M2.5, general agent work
"""
CONFIG_M27 = model_row("cfg-1", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False)


def desired(api_key: str = "os.environ/MINIMAX_API_KEY", rpm: int = 120, extra: str = "") -> Estate:
    return estate(
        "config_models: [MiniMax-M2.7]\n" + extra + MODELS_YAML.format(api_key=api_key, rpm=rpm)
    )


def plan_for(wanted: Estate, *rows: dict[str, Any]) -> Plan:
    return plan_changes(wanted, parse_live([], [CONFIG_M27, *rows]))


def test_new_model_is_created_with_id_marker_and_record_in_model_info() -> None:
    (change,) = plan_for(desired()).changes
    assert (change.action, change.target) == ("create_model", "minimax-m2-5")
    assert change.after == {
        "model_name": "MiniMax-M2.5",
        "litellm_params": PARAMS,
        "model_info": {
            "description": "MiniMax M2.5, general agent work",
            "id": "minimax-m2-5",
            "managed_by": "reconciler",
            "reconciler": {
                "litellm_params": PARAMS,
                "info_keys": ["description"],
                "sha256": change.after["model_info"]["reconciler"]["sha256"],
                "protected": False,
            },
        },
    }


def test_live_row_hiding_api_key_and_adding_defaults_needs_no_change() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    assert "api_key" not in row["litellm_params"]
    plan = plan_for(desired(), row)
    assert plan.changes == ()
    assert plan.warnings == ()
    assert (plan.existing.get("key"), plan.existing.get("model")) == (0, 1)


def test_masked_secret_shown_by_the_gateway_is_not_a_change() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    row["litellm_params"]["api_key"] = "sk-****abcd"
    assert plan_for(desired(), row).changes == ()


def test_changed_visible_param_is_an_update_of_that_param_only() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    (change,) = plan_for(desired(rpm=300), row).changes
    assert change.action == "update_model"
    assert change.before == {"litellm_params": {"rpm": 120}}
    assert change.after == {"litellm_params": {"rpm": 300}}
    assert change.spec is not None
    assert change.spec["model_info"]["reconciler"]["litellm_params"]["rpm"] == 300


def test_changed_env_reference_is_seen_through_the_record() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    (change,) = plan_for(desired(api_key="os.environ/MINIMAX_KEY_2"), row).changes
    assert change.before == {"litellm_params": {"api_key": "os.environ/MINIMAX_API_KEY"}}
    assert change.after == {"litellm_params": {"api_key": "os.environ/MINIMAX_KEY_2"}}


def test_param_removed_from_desired_is_an_update_to_none() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5", {**PARAMS, "tpm": 5000}, INFO)
    (change,) = plan_for(desired(), row).changes
    assert change.before == {"litellm_params": {"tpm": 5000}}
    assert change.after == {"litellm_params": {"tpm": None}}


def test_changed_model_name_and_info_are_updates() -> None:
    row = managed_model("minimax-m2-5", "MiniMax-M2.5-old", PARAMS, {"description": "old"})
    (change,) = plan_for(desired(), row).changes
    assert change.before == {"model_name": "MiniMax-M2.5-old", "model_info": {"description": "old"}}
    assert change.after == {"model_name": "MiniMax-M2.5", "model_info": INFO}


def test_managed_model_gone_from_desired_is_deleted() -> None:
    keep = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    gone = managed_model("old-model", "Old", {"model": "openai/gpt-4o-mini"})
    (change,) = plan_for(desired(), keep, gone).changes
    assert (change.action, change.target) == ("delete_model", "old-model")
    assert change.before == {"model_name": "Old"}


def test_config_and_unmanaged_models_are_left_untouched() -> None:
    keep = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    manual = model_row("bc11d79b", "gpt-4o-mini", {"model": "openai/gpt-4o-mini"})
    plan = plan_for(desired(), keep, manual)
    assert plan.changes == ()
    by_kind = {u.kind: f"{u.name} {u.detail}" for u in plan.untouched}
    assert sorted(by_kind) == ["config_model", "unmanaged_model"]
    assert "MiniMax-M2.7" in by_kind["config_model"]
    assert by_kind["unmanaged_model"] == "bc11d79b gpt-4o-mini"


@pytest.mark.parametrize(("db_model", "owner"), [(False, "config.yaml"), (True, "")])
def test_desired_id_taken_by_a_model_the_tool_did_not_create_forbids_a_plan(
    db_model: bool, owner: str
) -> None:
    taken = model_row("minimax-m2-5", "MiniMax-M2.5", PARAMS, db_model=db_model)
    with pytest.raises(PlanError) as caught:
        plan_for(desired(), taken)
    message = str(caught.value)
    assert message.startswith("no plan is possible:\n  model 'minimax-m2-5': that id belongs to")
    assert "; choose another id" in message
    assert owner in message
    # Only an unmarked DB model can be adopted; a config.yaml model never.
    assert ("adopt: true" in message) is db_model


def test_config_model_missing_on_the_gateway_is_a_warning() -> None:
    plan = plan_changes(desired(), parse_live([], []))
    assert plan.warnings == (
        "config_models lists 'MiniMax-M2.7' but the gateway's config has no such model",
    )


def test_info_rows_without_an_id_are_ignored() -> None:
    wildcard = {"model_name": "openai/*", "litellm_params": {"model": "openai/*"}}
    keep = managed_model("minimax-m2-5", "MiniMax-M2.5", PARAMS, INFO)
    live = parse_live([], [CONFIG_M27, keep, wildcard])
    assert sorted(m.id for m in live.part("model")) == ["cfg-1", "minimax-m2-5"]
    assert plan_changes(desired(), live).changes == ()
