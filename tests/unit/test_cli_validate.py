"""`reconciler validate`: exit 0 with a count on a valid tree, 1 with every located problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.commands.cli import main
from tests.unit.builders import FIXTURES


def test_valid_tree_exits_0_and_counts_what_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--desired", str(FIXTURES / "valid-estate")]) == 0
    assert capsys.readouterr().out == (
        "desired/ is valid: 2 agent(s), 2 model(s), 1 pinned key(s)\n"
    )


def test_invalid_tree_exits_1_with_file_line_field_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = FIXTURES / "duplicate-agent-across-files"
    assert main(["validate", "--desired", str(case)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"{case}/agents/second.yaml:6: agents[李狗蛋].name: '李狗蛋' is defined twice "
        f"(first at {case}/agents/first.yaml:2)\n"
        "error: desired state is invalid (1 problem)\n"
    )


def test_missing_directory_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--desired", str(tmp_path / "nope")]) == 1
    assert "no such directory" in capsys.readouterr().err


def test_unknown_yaml_tag_exits_1_with_a_located_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text("config_models: [M]\nagents:\n  - name: !Ref a\n")
    assert main(["validate", "--desired", str(tmp_path)]) == 1
    assert f"{tmp_path}/a.yaml:3: agents[0].name: the tag !Ref" in capsys.readouterr().err
