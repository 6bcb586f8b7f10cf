"""The apply command: the guard runs over the whole plan before anything is shown or written,
so even a plan that a bug in the diff made wrong never reaches the gateway."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reconciler.commands import common
from reconciler.commands.cli import main
from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.gateway.client import GatewayClient
from tests.unit.builders import key_row, managed_key, token_of

PINNED_RAW = "sk-sileya-fixed-0001"
DESIRED = """\
pinned: [{alias: sileya}]
config_models: [MiniMax-M2.5]
agents:
  - {name: 妮可, owner: sileya, models: [MiniMax-M2.5]}
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/key/list":
            keys = [key_row("sileya", raw=PINNED_RAW),
                    managed_key("妮可", raw="sk-nicoleRAWsecret0001", models=["MiniMax-M2.5"],
                                applied={})]
            return httpx.Response(200, json={"keys": keys, "total_count": 2, "total_pages": 1})
        if request.url.path == "/model/info":
            return httpx.Response(200, json={"data": []})
        return httpx.Response(200, json={"ok": True})


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()

    def open_client(args: Any) -> GatewayClient:
        return GatewayClient("http://gw.test", "sk-admin-0000000000",
                             transport=httpx.MockTransport(recorder.handle))

    monkeypatch.setattr("reconciler.commands.apply.open_client", open_client)
    # The fake answers no lease calls; the apply lease has tests of its own (test_lease.py).
    monkeypatch.setattr("reconciler.commands.apply._lease", lambda client, args: nullcontext(
        SimpleNamespace(check=lambda: None)))
    return recorder


def _apply(tmp_path: Path, *extra: str) -> int:
    desired = tmp_path / "desired"
    desired.mkdir(exist_ok=True)
    (desired / "estate.yaml").write_text(DESIRED, encoding="utf-8")
    return main(["apply", "--desired", str(desired), "--auto-approve",
                 "--report", str(tmp_path / "report.json"),
                 "--audit-log", str(tmp_path / "audit.jsonl"), *extra])


def test_a_forbidden_change_from_a_buggy_diff_is_refused_before_any_write(
    tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def buggy(estate: Any, live: Any) -> Plan:
        return Plan(changes=(Change("key", Verb.DELETE, "sileya", ref=token_of(PINNED_RAW)),))

    monkeypatch.setattr(common, "plan_changes", buggy)
    assert _apply(tmp_path, "--force") == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "error: refused delete_key 'sileya': that key is pinned and is never changed\n")
    assert captured.out == ""
    # The key pages and /model/info are read at the same time: their order is free.
    assert recorder.calls[:2] == ["GET /health/readiness", "GET /openapi.json"]  # its version
    assert sorted(recorder.calls[2:]) == ["GET /key/list", "GET /model/info", "GET /user/list"]
    assert not (tmp_path / "report.json").exists()


def test_an_honest_plan_passes_the_guard_and_is_applied(
    tmp_path: Path, recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    honest = DESIRED.replace("models: [MiniMax-M2.5]}", "models: [MiniMax-M2.5], rpm_limit: 5}")
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "estate.yaml").write_text(honest, encoding="utf-8")
    code = main(["apply", "--desired", str(tmp_path / "desired"), "--auto-approve",
                 "--report", str(tmp_path / "report.json"),
                 "--audit-log", str(tmp_path / "audit.jsonl")])
    assert code == 0, capsys.readouterr()
    assert recorder.calls[:2] == ["GET /health/readiness", "GET /openapi.json"]  # its version
    # Keys, models and the admin identities are read together.
    assert sorted(recorder.calls[2:5]) == ["GET /key/list", "GET /model/info", "GET /user/list"]
    # A new rpm limit narrows the key: with no replicas named, the bound is read and said.
    assert recorder.calls[5:] == ["POST /key/update", "GET /config/field/info"]
    assert json.loads((tmp_path / "report.json").read_text())["done"] == 1
