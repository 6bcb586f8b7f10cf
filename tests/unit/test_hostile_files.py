"""Issue 6, case 6: every entry under desired/ is read or reported, never skipped in silence."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.commands.cli import main
from reconciler.core.input.yamlsource import MAX_FILE_BYTES
from tests.unit.builders import FIXTURES


def _tree(tmp_path: Path) -> Path:
    desired = tmp_path / "desired"
    shutil.copytree(FIXTURES / "valid-estate", desired)
    return desired


def _validate(desired: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", "--desired", str(desired)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.splitlines()


def test_upper_case_suffix_is_read_not_skipped(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    desired = _tree(tmp_path)
    (desired / "models.yaml").rename(desired / "models.YAML")
    (desired / "gateway.yaml").rename(desired / "gateway.Yml")
    assert main(["validate", "--desired", str(desired)]) == 0
    assert capsys.readouterr().out == "desired/ is valid: 2 agent(s), 2 model(s), 1 pinned key(s)\n"


def test_other_files_are_reported_notes_and_dotfiles_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desired = _tree(tmp_path)
    (desired / "agents.yaml.bak").write_text("agents: []\n")
    (desired / "README.md").write_text("# notes\n")
    (desired / ".gitkeep").write_text("")
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines == [
        f"{desired}/agents.yaml.bak:1: (file): not a YAML file: desired/ holds *.yaml / *.yml "
        "files only (and *.md notes)",
        "error: desired state is invalid (1 problem)",
    ]


def test_symlinks_that_dangle_loop_or_leave_desired_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desired = _tree(tmp_path)
    (tmp_path / "outside.yaml").write_text("agents: []\n")
    (desired / "dangling.yaml").symlink_to(desired / "gone.yaml")
    (desired / "loop.yaml").symlink_to(desired / "loop.yaml")
    (desired / "outside.yaml").symlink_to(tmp_path / "outside.yaml")
    (desired / "device.yaml").symlink_to("/dev/null")
    (desired / "inside.yaml").symlink_to(desired / "models.yaml")
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines[0] == f"{desired}/dangling.yaml:1: (file): symlink to nothing (dangling)"
    assert lines[1] == f"{desired}/device.yaml:1: (file): symlink leads outside desired/ " \
        "(to /dev/null)"
    assert lines[2].startswith(f"{desired}/loop.yaml:1: (file): symlink cannot be followed")
    assert lines[3] == f"{desired}/outside.yaml:1: (file): symlink leads outside desired/ " \
        f"(to {tmp_path.resolve()}/outside.yaml)"
    # inside.yaml, a symlink to a file inside desired/, is read: no problem of its own.
    assert lines[4] == "error: desired state is invalid (4 problems)"


def test_fifo_is_reported_and_never_opened(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    desired = _tree(tmp_path)
    os.mkfifo(desired / "agents" / "pipe.yaml")
    os.mkfifo(desired / "pipe")
    # Opening either FIFO for reading would block this test forever.
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines[:2] == [
        f"{desired}/agents/pipe.yaml:1: (file): not a regular file (a FIFO, device, socket "
        "or folder): it is never opened",
        f"{desired}/pipe:1: (file): not a YAML file: desired/ holds *.yaml / *.yml files only "
        "(and *.md notes)",
    ]


def test_unreadable_folder_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    desired = _tree(tmp_path)
    locked = desired / "agents"
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        # chmod 000 does not stop root, who runs CI containers: simulate the kernel's answer.
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines[0] == f"{locked}:1: (file): cannot list this folder: Permission denied"


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    desired = _tree(tmp_path)
    with (desired / "huge.yaml").open("w") as handle:
        handle.write("# " + "x" * (MAX_FILE_BYTES + 10) + "\n")
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines[0] == f"{desired}/huge.yaml:1: (file): cannot read: larger than 10 MiB"


def test_tree_over_the_size_limit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.commands import sources

    desired = _tree(tmp_path)
    monkeypatch.setattr(sources, "MAX_TREE_BYTES", 2 * 1024 * 1024)
    for i in range(3):
        (desired / f"filler-{i}.yaml").write_text("# " + "x" * 1024 * 1024 + "\n")
    code, lines = _validate(desired, capsys)
    assert code == 1
    assert lines[0] == f"{desired}/filler-1.yaml:1: (file): desired/ is larger than 2 MiB"
