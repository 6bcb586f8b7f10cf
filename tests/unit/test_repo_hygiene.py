"""Nothing a local run of the CI scripts leaves behind is tracked (issue 19, item 11)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_no_stray_ci_output_is_tracked_at_the_root() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert "github_output" not in tracked  # $GITHUB_OUTPUT of a hand-run scripts/ci/*.sh
    assert "/github_output" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
