"""What ships with the repo works as the README says: the example estate, its schema, and the
sandbox served by `reconciler sandbox` in its own process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.commands.sources import read_sources
from reconciler.core.desired import json_schema
from reconciler.core.loader import load_estate

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_estate_is_the_briefs() -> None:
    estate = load_estate(read_sources(ROOT / "desired"))
    assert {a.name for a in estate.agents} == {"李狗蛋", "妮可"}
    assert [p.alias for p in estate.pinned] == ["sileya"]
    assert "MiniMax-M2.7" in estate.config_models


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads((ROOT / "schema" / "desired.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: reconciler schema --out schema/desired.schema.json"


@pytest.fixture
def sandbox_process() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/health/readiness", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _cli(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_BASE_URL": url, "LITELLM_ADMIN_KEY": "sk-sandbox-master-key",
           "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "reconciler", *args, "--desired",
                           str(ROOT / "desired")], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL)


def test_readme_demo_on_the_sandbox(sandbox_process: str, tmp_path: Path) -> None:
    first = _cli(sandbox_process, tmp_path, "plan", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "+ create key 李狗蛋" in first.stdout and "+ create key 妮可" in first.stdout
    assert "pinned key (never changed): sileya" in first.stdout
    assert "unmanaged key (not created by this tool; left alone): legacy-batch-job" in first.stdout
    assert "config.yaml model (read-only): MiniMax-M2.7" in first.stdout
    applied = _cli(sandbox_process, tmp_path, "apply", "--auto-approve",
                   "--secrets-out", "secrets.jsonl")
    assert applied.returncode == 0, applied.stderr
    again = _cli(sandbox_process, tmp_path, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes. The gateway matches desired/." in again.stdout
