"""The CLI as a user meets it when things around it are off: a closed pipe, a busy port, the
wrong server, an OpenAI-style address, LiteLLM's key variable, files it cannot write."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, agent, read_json, read_secrets, standard_estate, write_desired

LONG_NOTE = "a note long enough to make the plan output overflow any pipe buffer " * 12


def _env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    return {**env, "NO_COLOR": "1", **variables}


def _run(cwd: Path, env: dict[str, str], *args: str) -> Result:
    proc = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env,
                          text=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _gw_env(gw: Gateway, **extra: str) -> dict[str, str]:
    return _env(**{"LITELLM_BASE_URL": gw.base_url, "LITELLM_ADMIN_KEY": gw.admin_key, **extra})


def _many_agents(gw: Gateway, directory: Path, count: int) -> Path:
    estate = standard_estate(gw)
    estate["agents"] += [agent(gw, f"bulk-{i:03}", ["MiniMax-M2.5"],
                               metadata={"note": LONG_NOTE}) for i in range(count)]
    return write_desired(directory, estate)


def _read_one_line_then_close(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`reconciler ARGS | head -1`: the reader goes away after the first line."""
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    return proc.wait(timeout=300), first, err


def test_plan_into_a_pipe_closed_after_one_line_exits_quietly(gateway: Gateway,
                                                              tmp_path: Path) -> None:
    _many_agents(gateway, tmp_path / "desired", 300)
    code, first, err = _read_one_line_then_close(tmp_path, _gw_env(gateway), "plan",
                                                 "--desired", "desired")
    assert first.startswith("+ create model")
    assert err == ""  # no traceback, no "Exception ignored"
    assert code == 0


def test_apply_into_a_closed_pipe_still_applies_everything(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    _many_agents(gateway, tmp_path / "desired", 60)
    code, _, err = _read_one_line_then_close(
        tmp_path, _gw_env(gateway), "apply", "--desired", "desired", "--auto-approve",
        "--secrets-out", "s.jsonl")
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert code == 0, err
    report = read_json(tmp_path / "apply-report.json")
    assert report["ok"] is True and report["done"] == 64
    assert len(read_secrets(tmp_path / "s.jsonl")) == 62
    again = _run(tmp_path, _gw_env(gateway), "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both


def test_sandbox_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(tmp_path, _env(), "sandbox", "--port", str(port))
    assert result.code == 1
    assert result.err == f"error: port {port} is already in use on 127.0.0.1: try --port N\n"


def test_files_the_user_named_fail_in_one_line(tmp_path: Path) -> None:
    schema = _run(tmp_path, _env(), "schema", "--out", "no-such-dir/schema.json")
    assert (schema.code, schema.err) == (
        1, "error: no-such-dir/schema.json: No such file or directory\n")
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sandbox = _run(tmp_path, _env(), "sandbox", "--port", str(port), "--state", "state.json")
    assert sandbox.code == 1
    assert len(sandbox.err.splitlines()) == 1
    assert sandbox.err.startswith("error: --state state.json is not a sandbox state file (")


class _HtmlHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = ("<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
                + "<p>filler</p>\n" * 300 + "</html>\n").encode()
        self.send_response(200 if self.path.startswith("/model") else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_server_answering_html_gives_one_line_naming_status_and_type(
    html_server: str, tmp_path: Path
) -> None:
    write_desired(tmp_path / "desired", {"agents": []})
    result = _run(tmp_path, _env(LITELLM_BASE_URL=html_server, LITELLM_ADMIN_KEY="sk-any-key-1"),
                  "plan", "--desired", "desired")
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: GET /key/list answered 404: a text/html page, not a "
                               "LiteLLM JSON answer: is LITELLM_BASE_URL the proxy's root")
    assert "nginx" not in result.err and "<" not in result.err


@pytest.mark.parametrize("suffix", ["/v1", "/v1/"])
def test_a_v1_suffix_is_dropped_with_a_note(gateway: Gateway, desired: Path, tmp_path: Path,
                                            suffix: str) -> None:
    args = ("plan", "--desired", "desired", "--format", "json")
    plain = _run(tmp_path, _gw_env(gateway), *args)
    env = _gw_env(gateway, LITELLM_BASE_URL=gateway.base_url + suffix)
    with_v1 = _run(tmp_path, env, *args)
    assert with_v1.code == plain.code == 0, with_v1.both
    # Only this test's own namespace: a shared proxy's other objects may come and go between.
    assert json.loads(with_v1.out)["changes"] == json.loads(plain.out)["changes"]
    assert len(json.loads(plain.out)["changes"]) == 4
    assert with_v1.err == (f"note: using {gateway.base_url} (the admin API is at the proxy's "
                           "root, not under /v1)\n")


def test_litellm_api_key_is_accepted_and_the_tool_name_wins(gateway: Gateway, desired: Path,
                                                           tmp_path: Path) -> None:
    only_api = _env(LITELLM_BASE_URL=gateway.base_url, LITELLM_API_KEY=gateway.admin_key)
    result = _run(tmp_path, only_api, "plan", "--desired", "desired", "--detailed-exitcode")
    assert result.code == 2, result.both
    assert f"+ create key {gateway.name('李狗蛋')}" in result.out

    both = {**only_api, "LITELLM_ADMIN_KEY": "sk-wrong-admin-key-0000"}
    refused = _run(tmp_path, both, "plan", "--desired", "desired")
    assert refused.code == 1
    assert len(refused.err.splitlines()) == 1
    assert "answered 401" in refused.err and "check LITELLM_ADMIN_KEY" in refused.err


def test_apply_whose_report_and_audit_log_cannot_be_written_still_exits_0(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    result = _run(tmp_path, _gw_env(gateway), "apply", "--desired", "desired", "--auto-approve",
                  "--secrets-out", "s.jsonl", "--report", "not-a-dir/report.json",
                  "--audit-log", "not-a-dir/audit.jsonl")
    assert result.code == 0, result.both
    assert "Apply complete: 4 change(s) done." in result.out
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert [w.split(" not-a-dir/")[0] for w in warnings] == [
        "warning: cannot write the report", "warning: cannot write the audit log"]
    again = _run(tmp_path, _gw_env(gateway), "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both


def test_the_audit_log_records_each_apply_and_no_secret(gateway: Gateway, desired: Path,
                                                        tmp_path: Path) -> None:
    env = _gw_env(gateway, GITHUB_ACTOR="octo-reviewer")
    first = _run(tmp_path, env, "apply", "--desired", "desired", "--auto-approve",
                 "--secrets-out", "s.jsonl")
    assert first.code == 0, first.both
    estate = standard_estate(gateway)
    estate["agents"][1]["max_budget"] = 25
    write_desired(desired, estate)
    second = _run(tmp_path, env, "apply", "--desired", "desired", "--auto-approve")
    assert second.code == 0, second.both

    log = tmp_path / ".reconciler" / "audit.jsonl"
    text = log.read_text(encoding="utf-8")
    raw_keys = [s["key"] for s in read_secrets(tmp_path / "s.jsonl")]
    assert len(raw_keys) == 2
    for raw in [*raw_keys, gateway.admin_key]:
        assert raw not in text
        assert raw not in (tmp_path / "apply-report.json").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines()]
    assert len(entries) == 2
    assert all(e["gateway"] == gateway.base_url and e["actor"] == "octo-reviewer"
               and e["tool_version"] and e["time"] for e in entries)
    assert [(s["action"], s["status"]) for s in entries[0]["steps"]] == [
        ("create_model", "done"), ("create_model", "done"),
        ("create_key", "done"), ("create_key", "done")]
    assert entries[1]["steps"] == [{"address": f"key.{gateway.name('妮可')}",
                                    "action": "update_key", "target": gateway.name("妮可"),
                                    "status": "done", "message": "updated max_budget"}]
    assert read_json(tmp_path / "apply-report.json")["steps"] == entries[1]["steps"]
