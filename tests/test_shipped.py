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
from reconciler.core.input.desired import json_schema
from reconciler.core.input.loader import load_estate
from reconciler.core.input.targets import load_target
from reconciler.core.input.yamlsource import Source

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_estate_is_the_briefs() -> None:
    estate = load_estate(read_sources(ROOT / "desired"))
    assert {a.name for a in estate.agents} == {"李狗蛋", "妮可"}
    assert [p.alias for p in estate.pinned] == ["sileya"]
    assert "MiniMax-M2.7" in estate.config_models


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads((ROOT / "schema" / "desired.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: reconciler schema --out schema/desired.schema.json"


def _properties(node: object, where: str = "") -> list[tuple[str, dict[str, object]]]:
    """Every (path, property schema) in a JSON Schema, at any depth ($defs included)."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            found.append((f"{where}.{name}", prop))
        for key, child in node.items():
            found.extend(_properties(child, f"{where}/{key}"))
    elif isinstance(node, list):
        for child in node:
            found.extend(_properties(child, where))
    return found


def test_every_schema_property_has_a_description() -> None:
    properties = _properties(json_schema())
    assert len(properties) > 30  # agents, models, pinned, settings, policy, gateway...
    missing = [path for path, prop in properties if not prop.get("description")]
    assert missing == []


MODELINE = "# yaml-language-server: $schema="


def test_each_shipped_file_points_its_editor_at_the_schema() -> None:
    schema = (ROOT / "schema" / "desired.schema.json").resolve()
    files = sorted((ROOT / "desired").rglob("*.y*ml"))
    assert len(files) >= 5
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), f"{path}: first line is not the schema modeline"
        target = (path.parent / first.removeprefix(MODELINE)).resolve()
        assert target == schema, f"{path}: {first} does not lead to {schema}"


def test_readme_target_example_lays_over_the_shipped_estate() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = "# desired/targets/staging/target.yaml\n"
    example = readme[readme.index(marker) + len(marker):].split("```")[0]
    loaded = load_target("staging", read_sources(ROOT / "desired"),
                         [Source("targets/staging/target.yaml", example)])
    assert {a.name for a in loaded.estate.agents} == {"李狗蛋", "妮可", "tester"}
    li = next(a for a in loaded.estate.agents if a.name == "李狗蛋")
    assert (li.max_budget, li.rpm_limit) == (5, 60)
    assert loaded.gateway is not None and loaded.gateway.base_url_env == "STAGING_LITELLM_BASE_URL"


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
    assert "  = Left untouched: 1 pinned key(s), 1 unmanaged key(s), 1 config.yaml model(s) " \
        "(--show-untouched lists them)\n" in first.stdout
    listed = _cli(sandbox_process, tmp_path, "plan", "--show-untouched")
    assert "pinned key (never changed): sileya" in listed.stdout
    assert "unmanaged key (not created by this tool; left alone): legacy-batch-job" in listed.stdout
    assert "config.yaml model (read-only): MiniMax-M2.7" in listed.stdout
    applied = _cli(sandbox_process, tmp_path, "apply", "--auto-approve",
                   "--secrets-out", "secrets.jsonl")
    assert applied.returncode == 0, applied.stderr
    again = _cli(sandbox_process, tmp_path, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes. The gateway matches desired/." in again.stdout
