"""`reconciler agent add|set`: desired/ edited as text, comments kept, nothing written if bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.commands.cli import main
from reconciler.core.input.yamledit import CLEAR, EditError, new_agent_file, scalar, set_field
from reconciler.core.input.yamlsource import parse

SHIPPED = Path(__file__).resolve().parents[2] / "desired"

COMMENTED = """\
# research agents, reviewed by the platform team
agents:
  - name: alpha   # the first one
    owner: sileya
    models:
      - MiniMax-M2.5   # cheap
      - MiniMax-M2.7
    # budget agreed in the October review
    max_budget: 50
    metadata:
      team: research
  - name: beta
    owner: ops
    models: [MiniMax-M2.5]
"""


def _set(text: str, name: str, field: str, value: object) -> str:
    return set_field(text, parse(text), name, field, value)


def test_set_replaces_a_value_and_keeps_every_comment() -> None:
    edited = _set(COMMENTED, "alpha", "max_budget", 80)
    assert edited == COMMENTED.replace("max_budget: 50", "max_budget: 80")


def test_set_keeps_a_block_list_block_style_and_the_comments_of_items_kept() -> None:
    edited = _set(COMMENTED, "alpha", "models", ["MiniMax-M2.5", "MiniMax-M2.5-Lightning"])
    assert ("    models:\n      - MiniMax-M2.5   # cheap\n      - MiniMax-M2.5-Lightning\n"
            "    # budget agreed") in edited
    assert parse(edited).data["agents"][0]["models"] == ["MiniMax-M2.5", "MiniMax-M2.5-Lightning"]
    assert parse(edited).data["agents"][1] == parse(COMMENTED).data["agents"][1]


def test_set_inserts_a_missing_field_in_canonical_order() -> None:
    edited = _set(COMMENTED, "beta", "blocked", True)
    assert edited.endswith("    models: [MiniMax-M2.5]\n    blocked: true\n")
    edited = _set(COMMENTED, "alpha", "blocked", True)
    assert "      - MiniMax-M2.7\n    blocked: true\n    # budget agreed" in edited


def test_set_to_none_writes_null() -> None:
    edited = _set(COMMENTED, "alpha", "max_budget", None)
    assert parse(edited).data["agents"][0]["max_budget"] is None


IMPORTED = """\
# Written by `reconciler import` from the live gateway. Review, then commit.
agents:
  # sk-...0001: name from key_alias
  - name: a
    owner: sileya
    models:
    - MiniMax-M2.5
    - MiniMax-M2.7   # the big one
    max_budget: 20
    metadata:
      team: research
    adopt: true
  - name: b
    owner: x
    models:
    - MiniMax-M2.5
"""

FLOW = """\
agents:
  - {name: tester, owner: qa, models: [MiniMax-M2.5], max_budget: 1}   # staging only
  - {name: "other", owner: qa,   # two lines
     models: [MiniMax-M2.5], rpm_limit: 5}
"""


@pytest.mark.parametrize(("field", "value"), [
    ("max_budget", 30), ("rpm_limit", 60), ("models", ["MiniMax-M2.7"]), ("blocked", True),
    ("models", ["MiniMax-M2.7", "MiniMax-M2.5"]), ("max_budget", CLEAR), ("metadata", CLEAR),
])
def test_set_on_every_style_import_and_the_readme_write(field: str, value: object) -> None:
    for text, name in ((IMPORTED, "a"), (IMPORTED, "b"), (FLOW, "tester"), (FLOW, "other")):
        edited = _set(text, name, field, value)
        agents = parse(edited).data["agents"]
        expected = [dict(a) for a in parse(text).data["agents"]]
        mine = next(a for a in expected if a["name"] == name)
        if value is CLEAR:
            mine.pop(field, None)
        else:
            mine[field] = value
        assert agents == expected, edited
        # Every comment line survives, and lines of the other agent are untouched.
        for line in text.splitlines():
            if "#" in line and "MiniMax-M2.7" not in line:
                assert line.split("#", 1)[1] in edited


def test_flow_edits_change_one_entry_and_nothing_else() -> None:
    edited = _set(FLOW, "tester", "max_budget", 5)
    assert edited == FLOW.replace("max_budget: 1}", "max_budget: 5}")
    edited = _set(FLOW, "other", "rpm_limit", CLEAR)
    assert edited == FLOW.replace(", rpm_limit: 5}", "}")
    edited = _set(FLOW, "tester", "rpm_limit", 60)
    assert "max_budget: 1, rpm_limit: 60}   # staging only" in edited


def test_clearing_the_import_style_field_removes_its_lines() -> None:
    edited = _set(IMPORTED, "a", "metadata", CLEAR)
    assert "team: research" not in edited and "    adopt: true\n" in edited


@pytest.mark.parametrize(
    "value",
    ["true", "null", "1e3", "a: b", "- x", "#x", "", " x", "0x10", "yes", "a #b", "[x]", "*x"],
)
def test_scalars_that_yaml_would_misread_are_quoted(value: str) -> None:
    assert parse(f"v: {scalar(value)}\n").data["v"] == value


def test_new_agent_file_reads_back_the_same_fields() -> None:
    fields = {"name": "王五", "owner": "sileya", "models": ["MiniMax-M2.5"], "max_budget": 10}
    assert parse(new_agent_file(fields)).data == {"agents": [fields]}


@pytest.fixture
def desired(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED, tmp_path / "desired"))


def _snapshot(directory: Path) -> dict[str, str]:
    return {str(p): p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*.yaml"))}


def test_agent_add_writes_one_file_and_validates(desired: Path, capsys) -> None:
    code = main(["agent", "add", "王五", "--models", "MiniMax-M2.5", "--owner", "sileya",
                 "--budget", "10", "--desired", str(desired), "--no-plan"])
    assert code == 0
    assert "Added agent '王五'" in capsys.readouterr().out
    written = (desired / "agents" / "王五.yaml").read_text()
    assert written.startswith("# yaml-language-server: $schema=../../schema/desired.schema.json\n")
    assert parse(written).data["agents"][0] == {
        "name": "王五", "owner": "sileya", "models": ["MiniMax-M2.5"], "max_budget": 10}
    assert main(["validate", "--desired", str(desired)]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["agent", "add", "sileya", "--models", "MiniMax-M2.5", "--owner", "x"],
         "'sileya' is a pinned key"),
        (["agent", "add", "李狗蛋", "--models", "MiniMax-M2.5", "--owner", "x"],
         "already declared"),
        (["agent", "set", "妮可", "--models", "Nope"], "declared nowhere"),
        (["agent", "set", "nobody", "--blocked", "true"], "declared nowhere in desired/"),
        (["agent", "set", "妮可"], "nothing to set"),
        (["agent", "set", "妮可", "--budget", "-5"], "max_budget"),
    ],
)
def test_an_edit_that_breaks_desired_writes_nothing(
    desired: Path, capsys, argv: list[str], message: str
) -> None:
    before = _snapshot(desired)
    assert main([*argv, "--desired", str(desired), "--no-plan"]) == 1
    assert message in capsys.readouterr().err
    assert _snapshot(desired) == before


def test_agent_set_blocks_an_agent_and_keeps_the_rest_of_its_file(desired: Path) -> None:
    path = desired / "agents" / "李狗蛋.yaml"
    before = path.read_text(encoding="utf-8")
    assert main(["agent", "set", "李狗蛋", "--blocked", "true", "--desired", str(desired),
                 "--no-plan"]) == 0
    after = path.read_text(encoding="utf-8")
    assert parse(after).data["agents"][0] == {**parse(before).data["agents"][0], "blocked": True}
    assert [line for line in after.splitlines() if "blocked" not in line] == before.splitlines()


def test_agent_set_rotate_bumps_the_serial_each_time(desired: Path) -> None:
    path = desired / "agents" / "李狗蛋.yaml"
    argv = ["agent", "set", "李狗蛋", "--rotate", "--desired", str(desired), "--no-plan"]
    assert main([*argv, "--rotation-grace", "2h"]) == 0
    assert main(argv) == 0
    agent = parse(path.read_text(encoding="utf-8")).data["agents"][0]
    assert (agent["rotation"], agent["rotation_grace"]) == (2, "2h")


def test_a_bad_rotation_grace_writes_nothing(desired: Path, capsys) -> None:
    before = _snapshot(desired)
    assert main(["agent", "set", "李狗蛋", "--rotate", "--rotation-grace", "soon",
                 "--desired", str(desired), "--no-plan"]) == 1
    assert "rotation_grace" in capsys.readouterr().err
    assert _snapshot(desired) == before


def test_a_hostile_agent_name_gets_a_safe_file_name(desired: Path) -> None:
    assert main(["agent", "add", "../../etc/x", "--models", "MiniMax-M2.5", "--owner", "x",
                 "--desired", str(desired), "--no-plan"]) in (0, 1)
    written = {p.relative_to(desired).parts[0] for p in desired.rglob("*") if p.is_file()}
    assert written <= {"agents", "gateway.yaml", "models.yaml", "routing.yaml"}
    assert not (desired.parent.parent / "etc").exists()


def test_an_edit_that_breaks_a_target_is_undone(desired: Path, capsys) -> None:
    target = desired / "targets" / "production"
    target.mkdir(parents=True)
    (target / "agents.yaml").write_text(
        "agents:\n  - name: 王五\n    owner: ops\n    models: [MiniMax-M2.5]\n", encoding="utf-8"
    )
    before = _snapshot(desired)
    code = main(["agent", "add", "王五", "--models", "MiniMax-M2.5", "--owner", "sileya",
                 "--desired", str(desired), "--no-plan"])
    assert code == 1
    assert "defined twice" in capsys.readouterr().err
    assert _snapshot(desired) == before


def test_agent_set_works_on_imported_and_flow_files_and_none_clears(
    desired: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (desired / "imported-agents.yaml").write_text(
        IMPORTED.replace("MiniMax-M2.7   # the big one", "MiniMax-M2.5-Lightning   # the big one"),
        encoding="utf-8")
    (desired / "flow.yaml").write_text(FLOW.replace("MiniMax-M2.5]", "MiniMax-M2.5-Lightning]"),
                                       encoding="utf-8")
    for name in ("a", "b", "tester", "other"):
        assert main(["agent", "set", name, "--rpm", "60", "--budget", "7", "--desired",
                     str(desired), "--no-plan"]) == 0, capsys.readouterr().err
    assert main(["agent", "set", "a", "--budget", "none", "--rpm", "none", "--desired",
                 str(desired), "--no-plan"]) == 0
    assert main(["agent", "set", "other", "--rpm", "none", "--desired", str(desired),
                 "--no-plan"]) == 0
    imported = (desired / "imported-agents.yaml").read_text(encoding="utf-8")
    flow = (desired / "flow.yaml").read_text(encoding="utf-8")
    assert "# sk-...0001: name from key_alias" in imported and "# the big one" in imported
    assert "# staging only" in flow and "# two lines" in flow
    agents = {a["name"]: a for f in (imported, flow) for a in parse(f).data["agents"]}
    assert "max_budget" not in agents["a"] and "rpm_limit" not in agents["a"]
    assert "rpm_limit" not in agents["other"] and agents["other"]["max_budget"] == 7
    assert agents["tester"]["rpm_limit"] == 60 and agents["b"]["max_budget"] == 7
    assert main(["validate", "--desired", str(desired)]) == 0


def test_agent_add_of_an_agent_declared_in_flow_style_points_at_set(
    desired: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (desired / "flow.yaml").write_text(FLOW.replace("MiniMax-M2.5]", "MiniMax-M2.5-Lightning]"),
                                       encoding="utf-8")
    before = _snapshot(desired)
    assert main(["agent", "add", "tester", "--models", "MiniMax-M2.5", "--owner", "qa",
                 "--desired", str(desired), "--no-plan"]) == 1
    err = capsys.readouterr().err
    assert "already declared in" in err and "flow.yaml" in err and "agent set" in err
    assert _snapshot(desired) == before


def test_yaml_features_the_edits_cannot_follow_are_refused_not_guessed() -> None:
    text = "agents:\n  - name: a\n    owner: &who x\n    models: [A]\n"
    with pytest.raises(EditError, match="edit it by hand"):
        _set(text, "a", "owner", "y")
    with pytest.raises(EditError, match="edit it by hand"):
        _set('agents:\n  - {"name": a, owner: x}\n', "a", "owner", "y")  # a quoted key


def test_agent_add_and_set_put_an_agent_in_a_team_of_desired(desired: Path, capsys) -> None:
    (desired / "teams.yaml").write_text(
        "teams:\n  - {name: research, models: [MiniMax-M2.5], max_budget: 50}\n",
        encoding="utf-8")
    assert main(["agent", "add", "张三", "--models", "MiniMax-M2.5", "--owner", "sileya",
                 "--team", "research", "--desired", str(desired), "--no-plan"]) == 0
    written = parse((desired / "agents" / "张三.yaml").read_text()).data["agents"][0]
    assert written == {"name": "张三", "owner": "sileya", "models": ["MiniMax-M2.5"],
                       "team": "research"}
    assert main(["agent", "set", "李狗蛋", "--team", "research", "--models", "MiniMax-M2.5",
                 "--desired", str(desired), "--no-plan"]) == 0
    before = _snapshot(desired)
    assert main(["agent", "set", "李狗蛋", "--team", "nobody", "--desired", str(desired),
                 "--no-plan"]) == 1
    assert "nobody" in capsys.readouterr().err and _snapshot(desired) == before
    assert main(["agent", "set", "李狗蛋", "--team", "none", "--desired", str(desired),
                 "--no-plan"]) == 0
    assert "team" not in parse((desired / "agents" / "李狗蛋.yaml").read_text()).data["agents"][0]
