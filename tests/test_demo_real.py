"""scripts/demo.sh --real (issue 19, item 9): the starter is called by an absolute path, on
the demo's own folder and free ports, and what it started is stopped at exit, failure or not.

A stand-in starter (REAL_GATEWAY_STARTER) serves the bundled sandbox as the "real proxy" on
the port it is given and records every call with its environment, so the demo's whole path
runs in seconds; the real starter is the same interface (start, or `stop`).
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_STARTER = """#!/usr/bin/env bash
set -euo pipefail
echo "${1:-start} BASE=$BASE PROXY_PORT=$PROXY_PORT PG_PORT=$PG_PORT" >> "$CALLS"
mkdir -p "$BASE"
if [ "${1:-}" = stop ]; then
  if [ -f "$BASE/proxy.pid" ]; then
    pid=$(cat "$BASE/proxy.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$BASE/proxy.pid"
  exit 0
fi
[ "${FAIL_START:-}" = 1 ] && { echo "start failed" >&2; exit 1; }
"$RECONCILER" sandbox --port "$PROXY_PORT" --master-key sk-master-1234 > "$BASE/proxy.log" 2>&1 &
echo $! > "$BASE/proxy.pid"
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PROXY_PORT/health/readiness" >/dev/null && exit 0
  sleep 0.1
done
exit 1
"""


def _run(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str], Path]:
    starter = tmp_path / "starter.sh"
    starter.write_text(FAKE_STARTER, encoding="utf-8")
    calls = tmp_path / "calls.txt"
    base = tmp_path / "gw"
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("LITELLM_", "PROXY_PORT", "PG_PORT", "BASE"))}
    environment.update(REAL_GATEWAY_STARTER=str(starter), CALLS=str(calls),
                       DEMO_REAL_BASE=str(base), RECONCILER=str(ROOT / ".venv/bin/reconciler"),
                       NO_COLOR="1", **env)
    done = subprocess.run(["bash", "scripts/demo.sh", "--real"], cwd=ROOT, env=environment,
                          text=True, capture_output=True, timeout=600)
    return done, calls.read_text(encoding="utf-8").splitlines(), base


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not (ROOT / ".venv/bin/reconciler").exists(), reason="needs .venv")
def test_demo_real_runs_and_stops_what_it_started(tmp_path: Path) -> None:
    done, calls, base = _run(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "== reconciler plan (again: must be empty)" in done.stdout
    start, stop = calls
    assert start.startswith("start ") and stop.startswith("stop ")
    assert start.split(" ", 1)[1] == stop.split(" ", 1)[1]  # the same BASE and ports
    fields = dict(item.split("=", 1) for item in start.split()[1:])
    assert fields["BASE"] == str(base)
    assert fields["PROXY_PORT"] not in ("4000", "4001") and fields["PG_PORT"] != "5433"
    assert not (base / "proxy.pid").exists()
    assert not _listening(int(fields["PROXY_PORT"]))


@pytest.mark.skipif(not (ROOT / ".venv/bin/reconciler").exists(), reason="needs .venv")
def test_a_failed_start_is_stopped_too(tmp_path: Path) -> None:
    done, calls, _ = _run(tmp_path, FAIL_START="1")
    assert done.returncode != 0 and done.returncode != 127, done.stderr
    assert [c.split()[0] for c in calls] == ["start", "stop"]
