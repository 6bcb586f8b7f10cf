"""The apply report and audit log: context, one line per run, no secrets, never fatal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.commands.audit import git_commit, record_apply, run_context
from reconciler.core.engine.changes import Change, Verb
from reconciler.gateway.executor import ApplyReport, StepResult, StepStatus

RAW = "sk-RawSecretThatMustNeverBeLogged12345"


def _report(message: str = "created sk-...2345; secret delivered") -> ApplyReport:
    return ApplyReport(
        [
            StepResult(Change("key", Verb.CREATE, "妮可", after={"key_alias": "妮可"}),
                       StepStatus.DONE,
                       message),
            StepResult(Change("key", Verb.BLOCK, "old", ref="tok"), StepStatus.FAILED,
                       "POST /key/block answered 500: boom"),
        ]
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_context_names_time_gateway_version_commit_and_never_credentials(tmp_path: Path) -> None:
    context = run_context("https://ops:pw123@gw.example:4000/?k=sk-x", tmp_path, None)
    assert context["gateway"] == "https://gw.example:4000/"
    assert context["tool_version"] == __version__
    assert context["time"].endswith("+00:00")
    assert context["commit"] is None  # not a git checkout
    assert "pw123" not in json.dumps(context)


def test_commit_is_heads_sha_and_marks_local_edits(tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "a.yaml").write_text("agents: []\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    assert git_commit(desired) == head
    (desired / "a.yaml").write_text("agents: [] # edited\n")
    assert git_commit(desired) == head + "-dirty"


def test_each_apply_appends_one_line_with_every_change(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "audit.jsonl"
    context = run_context("http://gw:4000", tmp_path, None)
    record_apply(_report(), context, tmp_path / "r1.json", log)
    record_apply(_report(), {**context, "actor": "second"}, tmp_path / "r2.json", log)
    first, second = _lines(log)
    assert second["actor"] == "second"
    assert first["gateway"] == "http://gw:4000"
    assert [(s["action"], s["target"], s["status"]) for s in first["steps"]] == [
        ("create_key", "妮可", "done"), ("block_key", "old", "failed")]
    assert first["ok"] is False and first["done"] == 1 and first["failed"] == 1
    report = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    assert report["tool_version"] == __version__ and report["steps"] == first["steps"]


def test_a_raw_key_in_a_message_never_reaches_the_files(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    record_apply(_report(f"odd server text {RAW}"), run_context(None, None, None),
                 tmp_path / "r.json", log)
    for path in (log, tmp_path / "r.json"):
        text = path.read_text(encoding="utf-8")
        assert RAW not in text and "sk-...2345" in text


def test_unwritable_files_warn_and_do_not_raise(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    record_apply(_report(), run_context(None, None, None), blocker / "report.json",
                 blocker / "audit.jsonl")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"warning: cannot write the report {blocker}/report.json: ")
    assert err[1].startswith(f"warning: cannot write the audit log {blocker}/audit.jsonl: ")
    assert all("applied all the same" in line for line in err)
