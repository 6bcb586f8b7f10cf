"""A recording fake of the LiteLLM admin API for apply tests (httpx.MockTransport)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.gateway.client import GatewayClient
from reconciler.gateway.retry import RetryPolicy


@dataclass
class FakeGateway:
    """Answers 200 to every write; `fail` maps "METHOD /path" to (status, body) answers, for
    the first `fail_times[route]` matching calls if given, else for every one. With
    `commit_then_fail`, a failing /key/generate still creates the key first."""

    fail: dict[str, tuple[int, Any]] = field(default_factory=dict)
    fail_times: dict[str, int] = field(default_factory=dict)
    commit_then_fail: bool = False
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    alias_rows: list[dict[str, Any]] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    headers: dict[str, str] = field(default_factory=dict)
    slept: list[float] = field(default_factory=list)  # what the retry policy waited
    answers: dict[str, Any] = field(default_factory=dict)  # "METHOD /path" -> a 200 body

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        route = f"{request.method} {request.url.path}"
        self.calls.append((request.method, request.url.path, body))
        if route == "POST /key/generate" and self.commit_then_fail:
            self.created.add(hashlib.sha256(body["key"].encode()).hexdigest())
        if route in self.fail and self.fail_times.get(route, 1) > 0:
            if route in self.fail_times:
                self.fail_times[route] -= 1
            status, answer = self.fail[route]
            return httpx.Response(status, json=answer, headers=self.headers)
        if route in self.answers:
            return httpx.Response(200, json=self.answers[route])
        if route == "POST /key/generate":
            token = hashlib.sha256(body["key"].encode()).hexdigest()
            self.created.add(token)
            return httpx.Response(200, json={**body, "token": token})
        if route == "GET /key/info":
            if request.url.params["key"] in self.created:
                return httpx.Response(200, json={"info": {"status": "active"}})
            return httpx.Response(404, json={"error": {"message": "Key not found in database"}})
        if route == "GET /key/list":
            rows = self.alias_rows
            return httpx.Response(200, json={"keys": rows, "total_count": len(rows)})
        return httpx.Response(200, json={"ok": True})

    def client(self, parallelism: int = 1, **retry: Any) -> GatewayClient:
        policy = RetryPolicy(sleep=self.slept.append, **retry)
        return GatewayClient(
            "http://fake", "sk-admin-0000000000", transport=httpx.MockTransport(self.handle),
            retry=policy, parallelism=parallelism,
        )


    @property
    def routes(self) -> list[str]:
        return [f"{method} {path}" for method, path, _ in self.calls]
