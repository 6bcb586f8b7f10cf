"""Bounds on everything read: a hostile gateway or a hostile plan file costs one line.

The gateway's answers are bounded in body size, page count and rows per list; a saved plan
file is read only when it is a regular file, within a size and a nesting depth.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.commands.cli import main
from reconciler.core.errors import GatewayError
from reconciler.gateway import bounded
from reconciler.gateway import observe as client_module
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.retry import RetryPolicy


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> GatewayClient:
    return GatewayClient("http://gw.test", "sk-admin-0000", transport=httpx.MockTransport(handler),
                         retry=RetryPolicy(attempts=1))


def _timed(call: Callable[[], object]) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(GatewayError) as caught:
        call()
    return str(caught.value), time.monotonic() - start


@pytest.mark.parametrize("total", [10**10, "abc", -5, None])
def test_a_key_list_claiming_absurd_totals_is_refused_at_once(total: object) -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        return httpx.Response(200, json={"keys": [], "total_count": total, "total_pages": total})

    message, seconds = _timed(lambda: _client(handler).list_keys())
    assert "/key/list answered total_count" in message and "a LiteLLM proxy?" in message
    assert "\n" not in message and len(requests) == 1 and seconds < 5


def _endless() -> Iterator[bytes]:
    while True:
        yield b"x" * 65536


def test_an_endless_chunked_body_stops_at_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "MAX_BODY_BYTES", 4 * 1024 * 1024)
    message, seconds = _timed(lambda: _client(
        lambda request: httpx.Response(200, content=_endless())).list_models())
    assert message == ("GET /model/info: the gateway at http://gw.test answered more than 4 MiB; "
                       "stopped reading")
    assert seconds < 5


def test_a_declared_huge_body_is_not_read_at_all() -> None:
    read: list[int] = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"{}"

    handler = lambda request: httpx.Response(  # noqa: E731
        200, headers={"content-length": str(10**9)}, content=body())
    message, _ = _timed(lambda: _client(handler).list_models())
    assert "answered more than 64 MiB" in message and not read


def test_spend_logs_that_never_end_stop_at_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_LOG_ROWS", 5000)
    page = [{"request_id": str(i)} for i in range(1000)]
    handler = lambda request: httpx.Response(200, json={  # noqa: E731
        "data": page, "total_pages": 10**10})
    message, _ = _timed(lambda: _client(handler).spend_logs("2026-01-01", "2026-01-02"))
    assert message.startswith("/spend/logs/v2 kept answering full pages past 5,000 rows")


def test_an_error_body_becomes_one_readable_line() -> None:
    handler = lambda request: httpx.Response(  # noqa: E731
        400, json={"error": {"message": "bad\nthing\r\n" + "y" * 2000}})
    message, _ = _timed(lambda: _client(handler).list_models())
    assert "\n" not in message and "\r" not in message and len(message) < 700


# -- saved plan files ------------------------------------------------------------------------
def _show(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["show", str(path)])
    captured = capsys.readouterr()
    return code, captured.err


def test_show_dev_zero_is_refused_without_reading(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _show(Path("/dev/zero"), capsys)
    assert (code, err) == (1, "error: cannot read plan file /dev/zero: it is not a regular file\n")


def test_show_a_fifo_is_refused_without_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    done = threading.Event()
    result: list[tuple[int, str]] = []
    worker = threading.Thread(target=lambda: (result.append(_show(fifo, capsys)), done.set()))
    worker.start()
    assert done.wait(5), "show waited on a FIFO"
    assert result[0] == (1, f"error: cannot read plan file {fifo}: it is not a regular file\n")


@pytest.mark.parametrize("depth", [100_000, 65])
def test_show_a_deeply_nested_plan_is_one_line(
    depth: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"changes": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    code, err = _show(path, capsys)
    assert (code, err) == (1, f"error: cannot read plan file {path}: it is nested deeper than "
                              "64 levels\n")


def test_show_a_plan_file_over_the_size_limit_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.commands import planfile

    monkeypatch.setattr(planfile, "MAX_PLAN_BYTES", 1000)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"changes": ["x" * 2000]}), encoding="utf-8")
    code, err = _show(path, capsys)
    assert (code, err) == (
        1, f"error: cannot read plan file {path}: it is larger than 1,000 bytes\n")
