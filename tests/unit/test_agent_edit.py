"""`reconciler agent add|set`: desired/ edited as text, comments kept, nothing written if bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.commands.cli import main
from reconciler.core.input.yamledit import EditError, new_agent_file, scalar, set_field
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


def test_set_replaces_a_block_list_with_a_flow_list() -> None:
    edited = _set(COMMENTED, "alpha", "models", ["MiniMax-M2.7"])
    assert "    models: [MiniMax-M2.7]\n    # budget agreed" in edited
    assert "cheap" not in edited  # the replaced items' own comments go with them
    assert parse(edited).data["agents"][0]["models"] == ["MiniMax-M2.7"]
    assert parse(edited).data["agents"][1] == parse(COMMENTED).data["agents"][1]


def test_set_inserts_a_missing_field_in_canonical_order() -> None:
    edited = _set(COMMENTED, "beta", "blocked", True)
    assert edited.endswith("    models: [MiniMax-M2.5]\n    blocked: true\n")
    edited = _set(COMMENTED, "alpha", "blocked", True)
    assert "      - MiniMax-M2.7\n    blocked: true\n    # budget agreed" in edited


def test_set_to_none_writes_null() -> None:
    edited = _set(COMMENTED, "alpha", "max_budget", None)
    assert parse(edited).data["agents"][0]["max_budget"] is None


def test_flow_mapping_agents_are_refused_not_guessed() -> None:
    text = "agents:\n  - {name: alpha, owner: x, models: [A]}\n"
    with pytest.raises(EditError, match="edit it by hand"):
        _set(text, "alpha", "blocked", True)


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
