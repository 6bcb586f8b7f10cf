"""A forwarding proxy on 127.0.0.1 that fails chosen requests, so the same failure tests run
in front of the sandbox and of a real LiteLLM proxy alike."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from reconciler.sandbox.errors import proxy_error
from reconciler.sandbox.faults import FaultSchedule


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = FaultSchedule()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path: str, *, status: int = 500, skip: int = 0,
             times: int = 1, delay: float = 0.0) -> None:
        """Answer `status` to the next `times` matching requests after `skip` pass through,
        after `delay` seconds (to play a gateway that does not answer in time)."""
        self.faults.add(method=method, path=path, status=status, skip=skip, times=times,
                        delay=delay)


def _handler_for(proxy: FaultyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy.faults.take(self.command, path)
            if fault is not None:
                time.sleep(fault.delay)
                error = proxy_error(fault.status, "Injected fault", "internal_server_error", None)
                return self._send(error.status, json.dumps(error.body).encode())
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() in ("authorization", "content-type")}
            response = httpx.request(self.command, proxy.upstream + self.path, content=body,
                                     headers=headers, timeout=120)
            self._send(response.status_code, response.content)

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
