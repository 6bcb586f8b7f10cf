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


def test_the_shipped_pin_is_a_key_the_real_proxy_accepts() -> None:
    """desired/ pins the sandbox's seeded admin-agent key: one /key/generate would accept (a
    custom key of 16+ characters), not a short made-up one the real proxy refuses."""
    import hashlib

    import yaml

    from reconciler.sandbox import SILEYA_KEY

    pinned = yaml.safe_load((ROOT / "desired" / "gateway.yaml").read_text(encoding="utf-8"))
    (entry,) = pinned["pinned"]
    assert SILEYA_KEY.startswith("sk-") and len(SILEYA_KEY) >= 16
    assert entry["key_sha256"] == hashlib.sha256(SILEYA_KEY.encode()).hexdigest()
    assert entry["key_sha256"] != hashlib.sha256(b"sk-sileya-fixed").hexdigest()
