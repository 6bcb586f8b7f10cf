"""A recording fake of the LiteLLM admin API for apply tests (httpx.MockTransport)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.gateway.client import GatewayClient

NEW_RAW_KEY = "sk-NewlyCreatedRawKey12345"
NEW_TOKEN = hashlib.sha256(NEW_RAW_KEY.encode()).hexdigest()


@dataclass
class FakeGateway:
    """Answers 200 to every write; `fail` maps "METHOD /path" to (status, body) answers."""

    fail: dict[str, tuple[int, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    alias_rows: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        route = f"{request.method} {request.url.path}"
        self.calls.append((request.method, request.url.path, body))
        if route in self.fail:
            status, answer = self.fail[route]
            return httpx.Response(status, json=answer)
        if route == "POST /key/generate":
            return httpx.Response(
                200, json={**body, "key": NEW_RAW_KEY, "token": NEW_TOKEN, "key_name": "sk-...2345"}
            )
        if route == "GET /key/list":
            return httpx.Response(200, json={"keys": self.alias_rows, "total_count": 1})
        return httpx.Response(200, json={"ok": True})

    def client(self) -> GatewayClient:
        return GatewayClient(
            "http://fake", "sk-admin-0000000000", transport=httpx.MockTransport(self.handle)
        )

    @property
    def routes(self) -> list[str]:
        return [f"{method} {path}" for method, path, _ in self.calls]
