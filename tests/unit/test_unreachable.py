"""An unreachable gateway: "retrying (2/6)" while waiting, at once where retrying cannot help
(issue 19, item 11)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from reconciler.commands.cli import main
from reconciler.core.errors import GatewayError, GatewayUnreachable
from reconciler.gateway.retry import RetryPolicy, is_retryable
from reconciler.sandbox import SandboxGateway

SHIPPED = Path(__file__).resolve().parents[2] / "desired"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_wait_is_told_with_its_attempt_number() -> None:
    told: list[tuple[int, int]] = []
    calls = []

    def down() -> None:
        calls.append(1)
        raise GatewayUnreachable("cannot reach the gateway")

    policy = RetryPolicy(attempts=4, sleep=lambda _: None,
                         notify=lambda n, of, wait, why: told.append((n, of)))
    with pytest.raises(GatewayUnreachable):
        policy.call(down)
    assert told == [(2, 4), (3, 4), (4, 4)] and len(calls) == 4


def test_a_lasting_failure_is_not_retried() -> None:
    assert not is_retryable(GatewayUnreachable("x", lasting=True))
    assert is_retryable(GatewayUnreachable("x"))
    told: list[int] = []
    policy = RetryPolicy(sleep=lambda _: None, notify=lambda n, *_: told.append(n))
    with pytest.raises(GatewayError):
        policy.call(lambda: (_ for _ in ()).throw(GatewayUnreachable("dns", lasting=True)))
    assert told == []


def _plan(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, str, float]:
    monkeypatch.setenv("RECONCILER_RETRY_BASE", "0.01")
    start = time.monotonic()
    code = main(["plan", "--desired", str(SHIPPED), "--base-url", url, "--admin-key", "sk-x"])
    return code, capsys.readouterr().err, time.monotonic() - start


def test_a_closed_port_says_retrying_then_fails(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _plan(f"http://127.0.0.1:{_closed_port()}", monkeypatch, capsys)
    assert code == 1
    lines = err.splitlines()
    # One line per attempt, not one per call in flight, then the error.
    assert [line.split(" in ")[0] for line in lines[:-1]] == [
        f"retrying ({n}/6)" for n in range(2, 7)]
    assert lines[-1].startswith("error: cannot reach the gateway at http://127.0.0.1:")


def test_a_name_that_does_not_resolve_fails_at_once(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _plan("http://no-such-host.invalid:4000", monkeypatch, capsys)
    assert code == 1 and "retrying" not in err
    assert "the host name does not resolve: check the address" in err


def test_https_on_a_plain_http_port_fails_at_once(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with SandboxGateway(seed=False) as sandbox:
        url = sandbox.base_url.replace("http://", "https://")
        code, err, _ = _plan(url, monkeypatch, capsys)
    assert code == 1 and "retrying" not in err
    assert "TLS failed: the port may speak plain HTTP (try http://)" in err
