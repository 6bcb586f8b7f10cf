"""The key fields beyond models and limits: soft_budget, max_parallel_requests, per-model
rpm/tpm, allowed_routes, aliases, guardrails and tags, from desired/ to the plan."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.engine.stamps import digest
from reconciler.core.input.yamlsource import Source
from reconciler.core.kinds.key.metadata import agent_content, key_spec
from tests.unit.builders import estate, managed_key, model_row, parse_live, problems_of

HEADER = "config_models: [m1, m2]\nagents:\n"
CONFIG = [model_row("c1", "m1", {"model": "openai/m1"}, db_model=False),
          model_row("c2", "m2", {"model": "openai/m2"}, db_model=False)]
SCOUT = """\
  - name: scout
    owner: research
    models: [m1, m2]
"""


def plan_of(extra: str, *rows: dict[str, Any]) -> Plan:
    return plan_changes(estate(HEADER + SCOUT + extra), parse_live(list(rows), CONFIG))


def applied_key(extra: str, **row: Any) -> dict[str, Any]:
    """The live key an apply of SCOUT + extra left: fields written, record stamped."""
    agent = estate(HEADER + SCOUT + extra).agents[0]
    spec = key_spec(agent)
    return managed_key("scout", owner="research", models=["m1", "m2"],
                       metadata={k: v for k, v in spec["metadata"].items()
                                 if k not in ("agent", "owner", "managed_by")},
                       **row)


FULL = """\
    soft_budget: 4
    max_parallel_requests: 3
    model_rpm_limit: {m1: 10}
    model_tpm_limit: {m2: 1000}
    allowed_routes: [llm_api_routes]
    aliases: {fast: m1}
"""
FULL_ROW = {"max_parallel_requests": 3, "allowed_routes": ["llm_api_routes"],
            "aliases": {"fast": "m1"}, "litellm_budget_table": {"soft_budget": 4.0}}


def test_a_new_key_is_created_with_every_declared_field_where_the_proxy_keeps_it() -> None:
    (create,) = plan_of(FULL).changes
    after = create.after
    assert (after["soft_budget"], after["max_parallel_requests"]) == (4, 3)
    assert (after["allowed_routes"], after["aliases"]) == (["llm_api_routes"], {"fast": "m1"})
    # The proxy keeps per-model limits in the key's metadata: the tool writes them there.
    assert after["metadata"]["model_rpm_limit"] == {"m1": 10}
    assert after["metadata"]["model_tpm_limit"] == {"m2": 1000}
    assert "model_rpm_limit" not in after and "tags" not in after


def test_a_key_the_gateway_holds_as_declared_has_no_change() -> None:
    assert plan_of(FULL, applied_key(FULL, **FULL_ROW)).changes == ()


def test_each_changed_field_is_one_update_naming_it() -> None:
    live = applied_key(FULL, **{**FULL_ROW, "max_parallel_requests": 1,
                                "litellm_budget_table": {"soft_budget": 9.0}})
    (update,) = plan_of(FULL, live).changes
    assert update.action == "update_key"
    assert (update.before["max_parallel_requests"], update.after["max_parallel_requests"]) == (1, 3)
    assert (update.before["soft_budget"], update.after["soft_budget"]) == (9, 4)
    assert "aliases" not in update.after  # unchanged fields are not sent


def test_a_per_model_limit_change_rewrites_the_metadata_that_holds_it() -> None:
    live = applied_key(FULL.replace("{m1: 10}", "{m1: 5}"), **FULL_ROW)
    (update,) = plan_of(FULL, live).changes
    assert update.before["metadata"]["model_rpm_limit"] == {"m1": 5}
    assert update.after["metadata"]["model_rpm_limit"] == {"m1": 10}


def test_an_undeclared_field_is_not_owned_and_the_gateways_value_stays() -> None:
    live = applied_key("", max_parallel_requests=7, allowed_routes=["info_routes"],
                       litellm_budget_table={"soft_budget": 2.0})
    assert plan_of("", live).changes == ()


def test_an_explicit_null_or_empty_value_clears_the_field() -> None:
    extra = "    max_parallel_requests: null\n    allowed_routes: []\n    aliases: {}\n"
    live = applied_key("", max_parallel_requests=7, allowed_routes=["info_routes"],
                       aliases={"a": "m1"})
    (update,) = plan_of(extra, live).changes
    assert update.after["max_parallel_requests"] is None
    assert (update.after["allowed_routes"], update.after["aliases"]) == ([], {})


def test_keys_without_the_new_fields_keep_the_content_digest_they_had() -> None:
    # Applied by a version without these fields: no record goes stale, no drift appears.
    agent = estate(HEADER + SCOUT).agents[0]
    content = agent_content(agent, "default")
    assert set(content) == {"models", "max_budget", "budget_duration", "rpm_limit",
                            "tpm_limit", "metadata"}
    assert digest(content) == digest({"models": ["m1", "m2"], "max_budget": None,
                                      "budget_duration": None, "rpm_limit": None,
                                      "tpm_limit": None, "metadata": {"agent": "scout",
                                                                      "owner": "research"}})


def test_tags_and_guardrails_are_sent_as_the_proxys_fields_beside_the_metadata() -> None:
    extra = "    tags: [prod]\n    guardrails: [pii-mask]\n"
    (create,) = plan_of(extra).changes
    assert (create.after["tags"], create.after["guardrails"]) == (["prod"], ["pii-mask"])
    assert create.after["metadata"]["tags"] == ["prod"]
    live = applied_key(extra.replace("prod", "dev"))
    (update,) = plan_of(extra, live).changes
    assert (update.before["tags"], update.after["tags"]) == (["dev"], ["prod"])
    assert "guardrails" not in update.after  # unchanged: not sent again


def test_tags_kept_in_metadata_are_plain_metadata_and_not_sent_as_the_licensed_field() -> None:
    extra = "    metadata: {tags: [prod]}\n"
    (create,) = plan_of(extra).changes
    assert "tags" not in create.after and create.after["metadata"]["tags"] == ["prod"]


def test_ignored_extra_fields_are_sent_on_creation_and_never_compared_after() -> None:
    extra = "    max_parallel_requests: 3\n    ignore_fields: [max_parallel_requests]\n"
    (create,) = plan_of(extra).changes
    assert create.after["max_parallel_requests"] == 3
    assert plan_of(extra, applied_key(extra, max_parallel_requests=50)).changes == ()


def problems(extra: str) -> list[str]:
    return problems_of([Source("agents.yaml", HEADER + SCOUT + extra)])


def test_per_model_limits_name_only_the_agents_models_with_file_and_line() -> None:
    (problem,) = problems("    model_rpm_limit: {m1: 1, m9: 2}\n")
    assert problem.startswith("agents.yaml:6: agents[scout].model_rpm_limit")
    assert "not among the agent's models: m9" in problem


def test_a_soft_budget_beside_a_shared_budget_is_refused_saying_where_it_belongs() -> None:
    text = "budgets:\n  - {name: small, max_budget: 5}\n"
    found = problems_of([Source("a.yaml", text + HEADER + SCOUT
                                + "    budget: small\n    soft_budget: 2\n")])
    assert any("a.yaml:9: agents[scout].soft_budget" in p and "budgets:" in p for p in found)


def test_a_field_declared_also_in_metadata_is_refused() -> None:
    (problem,) = problems("    metadata: {tags: [a]}\n    tags: [b]\n")
    assert problem.startswith("agents.yaml:7: agents[scout].tags: also declared as metadata.tags")


def test_hostile_values_are_refused_offline() -> None:
    for extra in ("    max_parallel_requests: -1\n", "    soft_budget: .inf\n",
                  "    allowed_routes: ['']\n", "    model_tpm_limit: {m1: '5'}\n",
                  "    aliases: {'': m1}\n"):
        assert problems(extra), extra


def test_import_declares_the_fields_a_hand_made_key_has_and_plans_only_its_adoption() -> None:
    from reconciler.core.engine.importer import import_live
    from reconciler.core.input.loader import load_estate
    from reconciler.core.render.import_yaml import render_files
    from tests.unit.builders import key_row

    row = key_row("hand", models=["m1"], max_parallel_requests=2, allowed_routes=["info_routes"],
                  aliases={"f": "m1"}, litellm_budget_table={"soft_budget": 1.5},
                  metadata={"owner": "ops", "model_rpm_limit": {"m1": 7}, "tags": ["x"]})
    live = parse_live([row], CONFIG)
    files = render_files(import_live(live, estate("config_models: [m1, m2]\n"), write_scope=True))
    config = Source("config.yaml", "config_models: [m1, m2]\n")
    desired = load_estate([*(Source(n, t) for n, t in files.items()), config])
    (agent,) = desired.agents
    assert (agent.max_parallel_requests, agent.soft_budget) == (2, 1.5)
    assert (agent.allowed_routes, agent.aliases) == (["info_routes"], {"f": "m1"})
    assert agent.model_rpm_limit == {"m1": 7}
    assert agent.tags is None and agent.metadata == {"tags": ["x"]}  # no licence needed
    (adopt,) = plan_changes(desired, live).changes
    assert adopt.action == "adopt_key"
    assert not {"max_parallel_requests", "soft_budget", "aliases"} & set(adopt.after)


def test_a_soft_budget_on_a_key_whose_budget_row_others_share_is_refused() -> None:
    import pytest

    from reconciler.core.errors import PlanError

    mine = applied_key("", budget_id="row-1")
    other = managed_key("other", models=["m1"], budget_id="row-1")
    with pytest.raises(PlanError, match="budget row 'row-1', shared with 1 other key"):
        plan_of("    soft_budget: 2\n", mine, other)
    alone = applied_key("", budget_id="row-1", litellm_budget_table={"soft_budget": 1.0})
    (update,) = plan_of("    soft_budget: 2\n", alone).changes
    assert update.after["soft_budget"] == 2


def test_hostile_live_values_of_the_new_fields_read_as_absent_and_plan_a_fix() -> None:
    live = applied_key(FULL, max_parallel_requests="3", allowed_routes="llm_api_routes",
                       aliases=["fast"], litellm_budget_table={"soft_budget": True})
    (update,) = plan_of(FULL, live).changes
    assert update.before["allowed_routes"] == [] and update.before["aliases"] == {}
    assert update.before["soft_budget"] is None
    assert update.after["max_parallel_requests"] == 3
