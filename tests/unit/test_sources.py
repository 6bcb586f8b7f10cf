"""read_sources: every *.yaml / *.yml under a directory, recursively, in sorted path order."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.commands.sources import read_sources
from reconciler.core.errors import DesiredError


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_reads_yaml_and_yml_at_any_depth_sorted_and_skips_notes_and_dotfiles(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "z.yaml", "config_models: [z]\n")
    _write(tmp_path, "agents/team-b/妮可.yml", "agents: []\n")
    _write(tmp_path, "agents/李狗蛋.yaml", "agents: []\n")
    _write(tmp_path, "a.yml", "config_models: [a]\n")
    _write(tmp_path, "README.md", "# not yaml\n")
    _write(tmp_path, "agents/.gitkeep", "")
    _write(tmp_path, ".hidden/x.yaml", "not: [read\n")

    sources = read_sources(tmp_path)

    names = [Path(s.name).relative_to(tmp_path).as_posix() for s in sources]
    assert names == ["a.yml", "agents/team-b/妮可.yml", "agents/李狗蛋.yaml", "z.yaml"]
    assert sources[0].text == "config_models: [a]\n"


def test_a_directory_named_like_yaml_is_entered_not_read(tmp_path: Path) -> None:
    _write(tmp_path, "weird.yaml/inner.yaml", "agents: []\n")
    names = [Path(s.name).name for s in read_sources(tmp_path)]
    assert names == ["inner.yaml"]


def test_missing_directory_is_a_desired_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DesiredError) as caught:
        read_sources(missing)
    assert [str(p) for p in caught.value.problems] == [
        f"{missing}:0: (directory): no such directory"
    ]


def test_file_that_is_not_utf8_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("owner: Jos\xe9\n".encode("latin-1"))
    with pytest.raises(DesiredError) as caught:
        read_sources(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file == str(tmp_path / "latin1.yaml")
    assert problem.field == "(file)"
    assert problem.message.startswith("cannot read:")


def test_files_are_sorted_as_paths_part_by_part(tmp_path: Path) -> None:
    # "a/x.yaml" sorts before "a-b.yaml" as paths, after it as plain text ('-' < '/').
    for relative in ("a-b.yaml", "a/x.yaml", "a.yaml", "a/b/c.yml"):
        _write(tmp_path, relative, "agents: []\n")
    names = [Path(s.name).relative_to(tmp_path).as_posix() for s in read_sources(tmp_path)]
    assert names == ["a/b/c.yml", "a/x.yaml", "a-b.yaml", "a.yaml"]
