"""import: the live gateway rendered as desired/ YAML (pure), and the files it writes loading
back into an estate whose plan is adopt-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.commands.import_ import _schema_path
from reconciler.core.engine.importer import import_live
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.input.desired import Estate
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source
from reconciler.core.render.import_yaml import (
    AGENTS_FILE,
    GATEWAY_FILE,
    MODELS_FILE,
    render_files,
    summary,
)
from tests.unit.builders import (
    estate,
    key_row,
    managed_key,
    managed_model,
    model_row,
    parse_live,
)

RAW = {
    "li": "sk-liGouDanRawKey000001",
    "ni": "sk-nicoleRawKey00000002",
    "bare": "sk-bareRaw00000003",
}


def live_state(fallbacks: dict[str, list[str]] | None = None) -> LiveState:
    keys = [
        key_row(None, raw=RAW["li"], models=["MiniMax-M2.5"],
                metadata={"agent": "李狗蛋", "owner": "sileya"}),
        key_row("妮可", raw=RAW["ni"], models=["MiniMax-M2.5"], max_budget=20.0, blocked=True,
                metadata={"owner": "sileya", "team": "research"}),
        key_row(None, raw=RAW["bare"], models=["MiniMax-M2.5"]),
        key_row("sileya", raw="sk-sileya-fixed-00001"),
        key_row("theirs", raw="sk-otherScope00000004", metadata={"managed_by": "reconciler/b"}),
    ]
    models = [
        model_row("c27", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False),
        model_row("0b1f-uuid", "MiniMax-M2.5",
                  {"model": "minimax/MiniMax-M2.5", "api_key": "hidden", "rpm": 60,
                   "aws_secret_name": "abcd********wxyz"},
                  info={"description": "hand made", "max_tokens": 8192,
                        "input_cost_per_token": 1e-7, "supports_vision": True}),
    ]
    router = {"fallbacks": [{"MiniMax-M2.7": ["MiniMax-M2.5"]}, {"gone": ["MiniMax-M2.5"]}]}
    if fallbacks is not None:
        router = {"fallbacks": [{group: targets} for group, targets in fallbacks.items()]}
    return parse_live(keys, models, router)


PINNED = estate("pinned: [{alias: sileya}]\n")


def imported(existing: Estate = PINNED, **kwargs: Any) -> dict[str, Any]:
    files = render_files(import_live(live_state(), existing, write_scope=True, **kwargs))
    return {name: yaml.safe_load(text) for name, text in files.items()} | {"_text": files}


def test_one_agent_per_key_named_by_alias_then_agent_then_hash() -> None:
    result = import_live(live_state(), PINNED, write_scope=True)
    names = {a.data["name"]: a.source for a in result.agents}
    bare = live_state().part("key")[2].token
    assert names == {
        "妮可": "key_alias",
        "李狗蛋": "metadata.agent",
        f"key-{bare[:12]}": "the key's sha256 (no alias, no metadata.agent)",
    }
    ni = next(a.data for a in result.agents if a.data["name"] == "妮可")
    assert ni == {"name": "妮可", "owner": "sileya", "models": ["MiniMax-M2.5"], "blocked": True,
                  "max_budget": 20, "metadata": {"team": "research"}, "adopt": True}
    bare_agent = next(a.data for a in result.agents if a.data["name"].startswith("key-"))
    assert bare_agent["owner"] == "unknown"


def test_pinned_and_other_scope_keys_are_listed_never_declared() -> None:
    files = imported()
    assert "sileya" not in {a["name"] for a in files[AGENTS_FILE]["agents"]}
    assert "theirs" not in {a["name"] for a in files[AGENTS_FILE]["agents"]}
    gateway = files["_text"][GATEWAY_FILE]
    assert "#   pinned key sileya" in gateway and "#   key of another scope theirs" in gateway
    assert files[GATEWAY_FILE]["config_models"] == ["MiniMax-M2.7"]
    assert files[GATEWAY_FILE]["settings"] == {"scope": "default"}


def test_models_keep_declared_params_and_never_a_secret() -> None:
    (model,) = imported()[MODELS_FILE]["models"]
    assert model["id"] == "0b1f-uuid" and model["adopt"] is True
    params = model["litellm_params"]
    assert params["model"] == "minimax/MiniMax-M2.5" and params["rpm"] == 60
    # Secrets the gateway hides or masks are kept as it holds them, never written.
    assert "api_key" not in params and "aws_secret_name" not in params
    assert model["ignore_fields"] == ["litellm_params.api_key", "litellm_params.aws_secret_name"]
    assert "hidden" not in str(model) and "****" not in str(model)
    assert "use_in_pass_through" not in params  # a server default nobody declared
    assert model["model_info"] == {"description": "hand made"}  # cost map left out


def test_fallbacks_are_imported_whole_or_not_at_all() -> None:
    whole = import_live(live_state({"MiniMax-M2.7": ["MiniMax-M2.5"]}), PINNED, write_scope=True)
    assert whole.fallbacks == {"MiniMax-M2.7": ["MiniMax-M2.5"]}
    # A partial list would make the next plan delete the rest: leave them undeclared.
    partial = import_live(live_state(), PINNED, write_scope=True)
    assert partial.fallbacks is None
    assert any("group(s) gone name models not imported" in n for n in partial.notes)


def test_existing_tree_agents_and_scope_are_respected() -> None:
    existing = estate("settings: {scope: team-a}\npinned: [{alias: sileya}]\n"
                      "config_models: [MiniMax-M2.5]\n"
                      "agents: [{name: 妮可, owner: sileya, models: [MiniMax-M2.5]}]\n")
    result = import_live(live_state(), existing, write_scope=False)
    assert "妮可" not in {a.data["name"] for a in result.agents}
    assert any("妮可 is already declared" in n and "adopt: true" in n for n in result.notes)
    assert result.scope is None
    assert "settings" not in (yaml.safe_load(render_files(result)[GATEWAY_FILE]) or {})


def test_include_filters_agents_and_models() -> None:
    result = import_live(live_state(), PINNED, write_scope=True, include=["李*"])
    assert [a.data["name"] for a in result.agents] == ["李狗蛋"] and result.models == []


def test_written_files_load_and_plan_only_adoptions_with_no_edit() -> None:
    live = live_state({"MiniMax-M2.7": ["MiniMax-M2.5"]})
    text = render_files(import_live(live, PINNED, write_scope=True))
    sources = [Source(name, body) for name, body in text.items()]
    pinned = Source("pinned.yaml", "pinned: [{alias: sileya}]\n")
    assert "REPLACE_ME" not in "".join(text.values())
    desired = load_estate([*sources, pinned])  # valid as written: nothing to fill in
    assert desired.fallbacks == {"MiniMax-M2.7": ("MiniMax-M2.5",)}
    plan = plan_changes(desired, live)
    assert {c.action for c in plan.changes} == {"adopt_key", "adopt_model"}
    for raw in RAW.values():
        assert all(raw not in body for body in text.values())


def test_already_managed_keys_are_imported_without_adopt() -> None:
    mine = managed_key("阿强", models=["MiniMax-M2.5"])
    result = import_live(parse_live([mine], []), Estate(), write_scope=True)
    (agent,) = result.agents
    assert agent.data["name"] == "阿强" and "adopt" not in agent.data
    declared = estate("config_models: [MiniMax-M2.5]\n"
                      "agents: [{name: 阿强, owner: sileya, models: [MiniMax-M2.5]}]\n")
    again = import_live(parse_live([mine], []), declared, write_scope=False)
    assert (again.agents, again.notes) == ([], [])  # a re-run adds nothing, says nothing


def test_summary_says_where_each_name_came_from() -> None:
    result = import_live(live_state(), PINNED, write_scope=True)
    lines = summary(result, ["desired/imported-agents.yaml"])
    assert lines[0].startswith("Imported 3 agent(s), 1 model(s), 1 config.yaml model name(s), "
                               "0 fallback group(s)")
    assert "  agent 李狗蛋 (sk-...0001): name from metadata.agent" in lines
    fill = "  kept as the gateway holds it: model 0b1f-uuid: litellm_params.api_key"
    assert any(line.startswith(fill) for line in lines)


def test_a_raw_key_pasted_into_metadata_is_masked_in_the_files() -> None:
    leaky = key_row("妮可", raw="sk-nicoleRawKey00000002", models=["MiniMax-M2.5"],
                    metadata={"note": "old key was sk-leakedRawValue123456"})
    files = render_files(import_live(parse_live([leaky], []), Estate(), write_scope=True))
    assert "sk-leakedRawValue123456" not in files[AGENTS_FILE]
    assert "sk-...3456" in files[AGENTS_FILE]


def test_a_recorded_key_lifetime_is_declared_as_duration() -> None:
    mine = managed_key("阿强", models=["MiniMax-M2.5"], metadata={"key_duration": "30d"})
    (agent,) = import_live(parse_live([mine], []), Estate(), write_scope=True).agents
    assert agent.data["duration"] == "30d" and "metadata" not in agent.data


def test_rotation_serials_are_kept_and_rotated_out_keys_are_only_listed() -> None:
    current = managed_key("阿强", models=["MiniMax-M2.5"],
                          metadata={"reconciler_rotation": 3})
    out = managed_key("阿强#rotation-2", models=["MiniMax-M2.5"],
                      metadata={"reconciler_rotated": {"agent": "阿强", "serial": 2}})
    result = import_live(parse_live([current, out], []), Estate(), write_scope=True)
    (agent,) = result.agents
    assert agent.data["name"] == "阿强" and agent.data["rotation"] == 3
    assert any("rotated-out key 阿强#rotation-2" in line for line in result.listed)


def test_an_adopted_models_kept_secret_blocks_a_recreate_with_the_reason() -> None:
    """After adoption, removing a setting would re-create the deployment without the api_key
    only the gateway holds: refused, saying why and what to do."""
    declared = ("models:\n  - id: m1\n    model_name: MiniMax-M2.5\n"
                "    litellm_params: {model: minimax/MiniMax-M2.5}\n"
                "    ignore_fields: [litellm_params.api_key]\n")
    live = parse_live([], [managed_model("m1", "MiniMax-M2.5",
                                         {"model": "minimax/MiniMax-M2.5", "rpm": 60})])
    with pytest.raises(PlanError) as exc:
        plan_changes(estate(declared), live)
    assert "litellm_params.api_key is kept as the gateway holds it" in str(exc.value)
    assert "re-creates it" in str(exc.value)
    # Changing a setting in place is still fine, and never sends the kept secret.
    changed = estate(declared.replace("{model: minimax/MiniMax-M2.5}",
                                      "{model: minimax/MiniMax-M2.5, rpm: 90}"))
    (update,) = plan_changes(changed, live).changes
    assert update.after == {"litellm_params": {"rpm": 90}}
    assert "api_key" not in update.spec["litellm_params"]
    # Declaring the secret as a reference (and dropping the entry) lets the re-create go.
    managed = estate(declared.replace("{model: minimax/MiniMax-M2.5}",
                                      "{model: minimax/MiniMax-M2.5, api_key: os.environ/K}")
                     .replace("    ignore_fields: [litellm_params.api_key]\n", ""))
    assert plan_changes(managed, live).changes


def test_a_key_that_may_call_every_model_is_a_pin_candidate_never_an_agent() -> None:
    """Without pinned: the admin key (models: []) must not be imported as an agent, or one
    plan later it would be adopted and narrowed."""
    admin = key_row("sileya", raw="sk-sileyaAdminKey0000001", models=[])
    bare = key_row(None, raw="sk-unnamedAllModels00002", models=[])
    result = import_live(parse_live([admin, bare], []), Estate(), write_scope=True)
    assert result.agents == []
    assert [k["alias"] for k in result.pin_candidates] == ["sileya", ""]
    files = render_files(result)
    assert AGENTS_FILE not in files
    text = files[GATEWAY_FILE]
    assert f"#   - {{alias: \"sileya\", key_sha256: {admin['token']}}}  # sk-...0001" in text
    assert f"#   - {{key_sha256: {bare['token']}}}" in text
    assert "pinned" not in (yaml.safe_load(text) or {})  # commented: a person confirms it
    lines = summary(result, [])
    assert any(line.startswith("  pin candidate (may call every model; not an agent): sileya")
               and admin["token"] in line and "pinned: first" in line for line in lines)
    # Uncommented, the entry pins the key: the next import lists it as pinned, not a candidate.
    uncommented = "\n".join(line[2:] for line in text.splitlines()
                            if line.startswith("# pinned:") or line.startswith("#   - "))
    pinned = load_estate([Source("pinned.yaml", uncommented.replace("# pinned:", "pinned:"))])
    again = import_live(parse_live([admin, bare], []), pinned, write_scope=False)
    assert again.pin_candidates == [] and len([i for i in again.listed if "pinned" in i]) == 2


def test_imported_files_carry_the_schema_modeline(tmp_path: Path) -> None:
    files = render_files(import_live(live_state(), PINNED, write_scope=True))
    assert files and all(text.startswith("# yaml-language-server: $schema=../schema/"
                                         "desired.schema.json\n") for text in files.values())
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "desired.schema.json").write_text("{}", encoding="utf-8")
    deep = tmp_path / "desired" / "targets" / "staging"
    assert _schema_path(deep) == "../../../schema/desired.schema.json"
    assert _schema_path(tmp_path / "desired") == "../schema/desired.schema.json"
