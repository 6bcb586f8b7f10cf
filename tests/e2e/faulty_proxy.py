"""A forwarding proxy on 127.0.0.1 that fails chosen requests, so the same failure tests run
in front of the sandbox and of a real LiteLLM proxy alike.

It plays the bad days apply must survive: an error answer with or without Retry-After, the
gateway committing a write whose answer is then lost (a 5xx or 429 from a front proxy, a
dropped connection, an answer too late), a connection dropped before the gateway saw the call,
a hostile answer in place of the gateway's (`rewrite`: a changed body, a padded one, an
endless one), and, for benchmarks, a fixed latency on every request.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from reconciler.sandbox.errors import proxy_error
from reconciler.sandbox.faults import Fault, FaultSchedule


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the stdlib's 5 drops connections when apply opens 8+ at once


class FaultyProxy:
    def __init__(self, upstream: str, *, latency: float = 0.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.latency = latency
        self.faults = FaultSchedule()
        self.faulted = threading.Event()  # set each time a fault is played (after any commit)
        self.forwarded = 0
        self.server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.http = httpx.Client(base_url=self.upstream, timeout=120,
                                 limits=httpx.Limits(max_connections=64))
        self._lock = threading.Lock()
        # path -> what to answer instead of the gateway's body (see rewrite).
        self.rewrites: dict[str, Any] = {}

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()

    def fail(self, method: str, path: str, *, status: int = 500, skip: int = 0,
             times: int = 1, delay: float = 0.0, after_commit: bool = False,
             drop: bool = False, retry_after: float | None = None,
             body_contains: str | None = None) -> None:
        """Play a fault on the next `times` matching requests after `skip` pass through:
        wait `delay` seconds (a gateway that does not answer in time), then answer `status`
        (with Retry-After if given) or, with `drop`, close the connection unanswered. With
        `after_commit` the request first reaches the gateway, so the write is done. With
        `body_contains`, only requests whose body holds that text count."""
        self.faults.add(method=method, path=path, status=status, skip=skip, times=times,
                        delay=delay, after_commit=after_commit, drop=drop,
                        retry_after=retry_after, body_contains=body_contains)

    def rewrite(self, path: str, *, edit: Any = None, pad: int = 0, endless: bool = False,
                seconds: float = 60.0) -> None:
        """Answer GET `path` with the gateway's JSON changed by `edit(body) -> body`, padded
        with `pad` bytes of filler, or (`endless`) a chunked body that never ends (it stops
        by itself after `seconds`, or when the client hangs up)."""
        self.rewrites[path] = {"edit": edit, "pad": pad, "endless": endless, "seconds": seconds}

    def forward(self, method: str, path: str, body: bytes,
                headers: dict[str, str]) -> httpx.Response:
        with self._lock:
            self.forwarded += 1
        return self.http.request(method, path, content=body, headers=headers)


def _handler_for(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _forward(self) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() in ("authorization", "content-type")}
            if proxy.latency:
                time.sleep(proxy.latency)
            fault = proxy.faults.take(self.command, path, body)
            if fault is not None:
                return self._play(fault, body, headers)
            response = proxy.forward(self.command, self.path, body, headers)
            hostile = proxy.rewrites.get(path) if self.command == "GET" else None
            if hostile is not None:
                return self._hostile(hostile, response)
            self._send(response.status_code, response.content)

        def _hostile(self, how: dict[str, Any], response: httpx.Response) -> None:
            if how["endless"]:
                return self._endless(how["seconds"])
            data = response.json()
            if how["edit"] is not None:
                data = how["edit"](data)
            if how["pad"]:
                data = {**data, "padding": "x" * how["pad"]}
            self._send(response.status_code, json.dumps(data).encode())

        def _endless(self, seconds: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b'{"keys": [' + b'{"token": "x"},' * 4096
            deadline = time.monotonic() + seconds
            try:
                while time.monotonic() < deadline:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass  # the client stopped reading: what it should do
            self.close_connection = True

        def _play(self, fault: Fault, body: bytes, headers: dict[str, str]) -> None:
            if fault.after_commit:
                proxy.forward(self.command, self.path, body, headers)
            proxy.faulted.set()
            time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            error = proxy_error(fault.status, "Injected fault", "internal_server_error", None)
            extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            self._send(error.status, json.dumps(error.body).encode(), extra)

        def _send(self, status: int, payload: bytes, extra: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True  # the client gave up (its timeout) first

        do_GET = do_POST = do_PATCH = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
