"""apply on a terminal shows the plan and acts only on an explicit `yes`."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.gateways import Gateway


def _apply_on_a_terminal(gw: Gateway, cwd: Path, answer: str) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {**os.environ, "LITELLM_BASE_URL": gw.base_url, "LITELLM_ADMIN_KEY": gw.admin_key,
           "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--desired", "desired",
         "--secrets-out", "s.jsonl"],
        cwd=cwd, env=env, stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    os.write(leader, (answer + "\n").encode())
    out, err = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, out + err


@pytest.mark.parametrize("answer", ["no", "y", ""])
def test_anything_but_yes_changes_nothing(gateway: Gateway, desired: Path, tmp_path: Path,
                                          answer: str) -> None:
    code, output = _apply_on_a_terminal(gateway, tmp_path, answer)
    assert code == 1
    assert "Only 'yes' will be accepted" in output
    assert "Apply cancelled; nothing was changed." in output
    assert gateway.models() == {}


def test_yes_applies(gateway: Gateway, desired: Path, tmp_path: Path) -> None:
    code, output = _apply_on_a_terminal(gateway, tmp_path, "yes")
    assert code == 0, output
    assert f"+ create key {gateway.name('李狗蛋')}" in output
    assert "Apply complete: 4 change(s) done." in output
    assert len(gateway.models()) == 2
