"""Apply on a bad day, on both gateways: every failure point, then the same end state.

Each scenario breaks one apply (through the forwarding fault proxy, a signal, or a second
apply at once) and then checks what must hold whatever happened: no alias has two live managed
keys, every live managed key's secret is in the sink exactly once, and one more apply leaves
a plan with no changes. The fixture checks the pinned and unmanaged keys are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, read_json, run_cli

APPLY = ("apply", "--desired", "desired", "--auto-approve", "--lease-wait", "30")


def _apply(gw: Gateway, tmp_path: Path, *extra: str, base_url: str | None = None) -> Result:
    return run_cli(gw, tmp_path, *APPLY, "--secrets-out", "s.jsonl", *extra, base_url=base_url)


def _secrets(tmp_path: Path) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for path in sorted(tmp_path.glob("s*.jsonl")):
        lines += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    return lines


def assert_converges(gw: Gateway, tmp_path: Path) -> None:
    """One more apply, then: plan empty, one live managed key per alias, each one's secret
    in the sink exactly once (and it is that key's secret)."""
    again = _apply(gw, tmp_path)
    assert again.code == 0, again.both
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert "reconciler-lease" not in plan.out  # the lease key is never part of a plan
    managed = [k for k in gw.namespace_keys()
               if (k.get("metadata") or {}).get("managed_by") == f"reconciler/{gw.prefix}"]
    assert sorted(k["key_alias"] for k in managed) == sorted(
        gw.name(n) for n in ("李狗蛋", "妮可"))
    held = Counter(s["key_sha256"] for s in _secrets(tmp_path))
    for line in _secrets(tmp_path):
        assert hashlib.sha256(line["key"].encode()).hexdigest() == line["key_sha256"]
    for key in managed:
        assert held[key["token"]] == 1, f"{key['key_alias']}: secret held {held[key['token']]}x"


# -- answers that must be retried --------------------------------------------------------------
RETRIED = {
    "429": dict(status=429),
    "429-retry-after": dict(status=429, retry_after=1),
    "503": dict(status=503),
    "503-retry-after": dict(status=503, retry_after=1),
    "529": dict(status=529),
    "529-retry-after": dict(status=529, retry_after=1),
    "500-after-commit": dict(status=500, after_commit=True),
    "429-after-commit": dict(status=429, after_commit=True),
    "drop-before-the-gateway": dict(drop=True),
    "drop-after-commit": dict(drop=True, after_commit=True),
    "timeout-after-commit": dict(delay=2.0, after_commit=True),
}


@pytest.mark.parametrize("fault", sorted(RETRIED))
def test_key_create_survives(gateway: Gateway, desired: Path, tmp_path: Path,
                             fault: str) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("POST", "/key/generate", times=2, body_contains=gateway.prefix,
                   **RETRIED[fault])  # type: ignore[arg-type]
        result = _apply(gateway, tmp_path, "--timeout", "1", base_url=proxy.base_url)
        assert proxy.faulted.is_set()
    assert result.code == 0, result.both
    assert "Apply complete: 4 change(s) done." in result.out
    assert_converges(gateway, tmp_path)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/model/new"), ("GET", "/key/list"), ("GET", "/model/info")])
def test_other_calls_survive_a_lost_answer(gateway: Gateway, desired: Path, tmp_path: Path,
                                           method: str, path: str) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail(method, path, status=504, after_commit=True)
        result = _apply(gateway, tmp_path, base_url=proxy.base_url)
    assert result.code == 0, result.both
    assert len(gateway.models()) == 2
    assert_converges(gateway, tmp_path)


def test_retries_give_up_and_the_next_apply_converges(gateway: Gateway, desired: Path,
                                                      tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("POST", "/key/generate", status=503, times=50, body_contains=gateway.prefix)
        result = _apply(gateway, tmp_path, "--retries", "1", base_url=proxy.base_url)
    assert result.code == 1
    assert "answered 503: Injected fault" in result.out
    assert "is already in the sink" in result.out
    assert "apply stopped: 2 done, 2 failed, 0 not attempted" in result.err
    assert_converges(gateway, tmp_path)


def test_a_definite_refusal_is_not_retried(gateway: Gateway, desired: Path,
                                           tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("POST", "/key/generate", status=400, times=2, body_contains=gateway.prefix)
        result = _apply(gateway, tmp_path, base_url=proxy.base_url)
        # Both refusals were used, one per key, none by a retry.
        assert proxy.faults.take("POST", "/key/generate", gateway.prefix.encode()) is None
    assert result.code == 1
    assert_converges(gateway, tmp_path)


# -- the tool itself stopped -------------------------------------------------------------------
def _start(gw: Gateway, tmp_path: Path, *extra: str, base_url: str | None = None,
           sink: tuple[str, ...] = ("--secrets-out", "s.jsonl")) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    env.update(NO_COLOR="1", RECONCILER_RETRY_BASE="0.05",
               LITELLM_BASE_URL=base_url or gw.base_url, LITELLM_ADMIN_KEY=gw.admin_key)
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *APPLY, *sink, "--lease-ttl", "2", *extra],
        cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )


def _wait_for(condition: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.parametrize("point", ["before-the-gateway", "after-the-gateway-commits"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_stopped_mid_create(gateway: Gateway, desired: Path, tmp_path: Path, point: str,
                            sig: str) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        # The create hangs at the proxy, before or after the gateway made the key.
        proxy.fail("POST", "/key/generate", delay=4, after_commit=point.startswith("after"),
                   body_contains=gateway.prefix)
        proc = _start(gateway, tmp_path, base_url=proxy.base_url)
        _wait_for(proxy.faulted.is_set, "the create to reach the proxy")
        os.killpg(proc.pid, getattr(signal, sig))
        out, err = proc.communicate(timeout=60)
    if sig == "SIGINT":
        assert proc.returncode == 1, out + err
        assert "apply interrupted" in err
        assert read_json(tmp_path / "apply-report.json")["interrupted"] is True
    else:
        assert proc.returncode == -signal.SIGKILL
    assert_converges(gateway, tmp_path)


SLOW_SINK = """
import json, os, sys, time
raw = sys.stdin.read()
line = {"agent": os.environ["RECONCILER_AGENT"], "key": raw,
        "key_sha256": os.environ["RECONCILER_KEY_SHA256"]}
fd = os.open("s.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # as a vault would
with os.fdopen(fd, "a") as out:
    out.write(json.dumps(line) + "\\n")
open("sink-wrote", "w").close()
time.sleep(30)
"""


def test_killed_while_the_sink_writes(gateway: Gateway, desired: Path, tmp_path: Path) -> None:
    (tmp_path / "sink.py").write_text(SLOW_SINK, encoding="utf-8")
    proc = _start(gateway, tmp_path, sink=("--secrets-cmd", f"{sys.executable} sink.py"))
    _wait_for((tmp_path / "sink-wrote").exists, "the sink to hold a secret")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert not [k for k in gateway.namespace_keys()
                if (k.get("metadata") or {}).get("managed_by")]  # sink first: no key yet
    assert_converges(gateway, tmp_path)


def test_two_applies_at_once_write_one_set_of_keys(gateway: Gateway, desired: Path,
                                                   tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url, latency=0.1) as slow:  # so that the two overlap
        first = _start(gateway, tmp_path, sink=("--secrets-out", "s1.jsonl"),
                       base_url=slow.base_url)
        second = _start(gateway, tmp_path, "--report", "r2.json",
                        sink=("--secrets-out", "s2.jsonl"), base_url=slow.base_url)
        outs = [p.communicate(timeout=120) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), outs
    said = outs[0][0] + outs[1][0]
    # One of them waited for the other and then found nothing left to do.
    assert "Waiting for another apply to finish" in said
    assert "No changes. The gateway matches desired/." in said
    assert_converges(gateway, tmp_path)
