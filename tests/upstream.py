"""A fake OpenAI-compatible upstream for real priced traffic, bound to 127.0.0.1.

Both gateways forward chat requests to a deployment's `api_base`; pointed here, the real proxy
prices each reply from `input_cost_per_token`/`output_cost_per_token` and logs it. Every reply
has its own id (the proxy's spend log keys rows by it). A path under `/overloaded` answers 529,
the status an overloaded provider sends, so the gateway's fallbacks can be watched.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 12
COMPLETION_TOKENS = 30


class FakeUpstream:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="fake-upstream")

    @property
    def ok_base(self) -> str:
        return f"{self.base_url}/ok/v1"

    @property
    def overloaded_base(self) -> str:
        return f"{self.base_url}/overloaded/v1"

    def __enter__(self) -> FakeUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def reply(model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": 1_795_000_000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "pong from the fake upstream"}}],
        "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                  "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS},
    }


def _handler(upstream: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            upstream.calls.append(self.path)
            if self.path.startswith("/overloaded/"):
                self._send(529, {"error": {"message": "overloaded", "type": "overloaded_error"}})
            else:
                self._send(200, reply(str(body.get("model", "fake"))))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
