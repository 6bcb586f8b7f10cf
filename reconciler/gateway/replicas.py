"""A gateway is its replicas: revocations made effective on every one, and said so.

LiteLLM keeps the key objects each replica authenticated in that replica's memory for
`general_settings.user_api_key_cache_ttl` (60 s by default), and a key write evicts them only
on the replica that handled it (with Redis, blocks and updates are also broadcast; deletes are
not). No admin endpoint evicts one key elsewhere. So a revoking write that went through the
base URL (a load balancer: one replica) is sent again, as it is, to every replica named: each
answer is that replica's own eviction, and so the proof that the replica refuses the key from
then on. A replica that does not answer is named, with the bound its cache gives.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.core.address import redact_url
from reconciler.core.errors import GatewayError, GatewayHTTPError, ReconcilerError
from reconciler.core.kinds.key.revocation import DEFAULT_CACHE_TTL, cache_ttl_text
from reconciler.gateway.kinds.model import ModelCalls
from reconciler.gateway.observe import ObserveCalls
from reconciler.gateway.retry import RetryPolicy
from reconciler.gateway.transport import BaseClient

REPLICAS_ENV = "LITELLM_REPLICA_URLS"
# `dns+http://name:port`: every address the name resolves to is a replica (a Kubernetes
# headless Service answers with one address per ready pod).
DNS_PREFIX = "dns+"
# A replica that is down must not hold an incident command for a minute: two tries, 5 s.
_REPLICA_RETRY = RetryPolicy(attempts=2, budget=5.0)
_REPLICA_TIMEOUT = 10.0

Resolver = Callable[[str, int], list[str]]


def _resolve(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in found})


def parse_replica_urls(value: str, resolve: Resolver = _resolve) -> list[str]:
    """Space-separated replica URLs; a `dns+http://name:port` entry stands for every
    address its name resolves to. ReconcilerError for anything that is not such a URL."""
    urls: list[str] = []
    for item in value.split():
        dns = item.startswith(DNS_PREFIX)
        url = item[len(DNS_PREFIX):] if dns else item
        split = urllib.parse.urlsplit(url)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ReconcilerError(f"replica {redact_url(item)!r} is not an http(s) URL "
                                  f"(in ${REPLICAS_ENV} or the target's replicas_env)")
        if not dns:
            urls.append(url.rstrip("/"))
            continue
        port = split.port or (443 if split.scheme == "https" else 80)
        try:
            addresses = resolve(split.hostname, port)
        except OSError as exc:
            raise ReconcilerError(f"cannot resolve the replicas' name {split.hostname!r}: "
                                  f"{exc}") from None
        for address in addresses:
            host = f"[{address}]" if ":" in address else address
            urls.append(f"{split.scheme}://{host}:{port}{split.path.rstrip('/')}")
    return list(dict.fromkeys(urls))


@dataclass(frozen=True)
class Confirmation:
    """One replica's answer to a revoking write."""

    url: str
    ok: bool
    seconds: float  # after the write through the base URL began
    detail: str = ""


@dataclass(frozen=True)
class InForce:
    """When one change took effect on every replica (or the bound, with none named)."""

    address: str
    confirmations: tuple[Confirmation, ...]
    ttl: float
    ttl_source: str
    what: str = "this key"  # or "this team's keys"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.confirmations)

    def text(self) -> str:
        if not self.confirmations:
            return cache_ttl_text(self.ttl, self.ttl_source, self.what) + "; name them in " \
                f"${REPLICAS_ENV} to make it immediate"
        if self.ok:
            last = max(c.seconds for c in self.confirmations)
            return (f"in force on every replica ({len(self.confirmations)}) "
                    f"{last:.2f} s after the write")
        failed = [c for c in self.confirmations if not c.ok]
        names = "; ".join(f"{c.url}: {c.detail}" for c in failed)
        who = "that replica" if len(failed) == 1 else "those replicas"
        return (f"NOT confirmed on {len(failed)} of {len(self.confirmations)} replicas "
                f"({names}): {who} may accept {self.what} for up to {self.ttl:g} s "
                f"({self.ttl_source})")


class ReplicaClient(ModelCalls, ObserveCalls):
    """What is asked of one replica: the revoking writes, its router's models, readiness."""


class Replicas:
    """One small client per replica, the admin key of the base URL's."""

    def __init__(self, urls: list[str], admin_key: str, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.urls = urls
        # Model reads too: apply --wait asks each replica what its own router serves.
        self.clients = [ReplicaClient(url, admin_key, timeout=_REPLICA_TIMEOUT,
                                   transport=transport, retry=_REPLICA_RETRY, parallelism=2)
                        for url in urls]

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def send(self, method: str, path: str, body: dict[str, Any], started: float,
             accept: Callable[[Any], str] = lambda _: "") -> tuple[Confirmation, ...]:
        """The same write to every replica at once; `accept` names what is wrong with an
        answer ("" when it proves the write)."""

        def one(client: BaseClient) -> Confirmation:
            try:
                answer = client._read(method, path, json=body)
                problem = accept(answer)
            except GatewayError as exc:
                problem = _short(exc)
            return Confirmation(client.base_url, not problem, time.monotonic() - started,
                                problem)

        if not self.clients:
            return ()
        with ThreadPoolExecutor(max_workers=len(self.clients)) as pool:
            return tuple(pool.map(one, self.clients))

    def each(self, fn: Callable[[ReplicaClient], Any]) -> list[tuple[str, Any]]:
        """fn on every replica's client at once: (url, result or the GatewayError)."""

        def one(client: ReplicaClient) -> tuple[str, Any]:
            try:
                return client.base_url, fn(client)
            except GatewayError as exc:
                return client.base_url, exc

        with ThreadPoolExecutor(max_workers=max(1, len(self.clients))) as pool:
            return list(pool.map(one, self.clients))


def _short(exc: GatewayError) -> str:
    if isinstance(exc, GatewayHTTPError):
        return f"HTTP {exc.status} {exc.detail}"[:400]
    return str(exc)[:400]


def blocked_answer(answer: Any) -> str:
    """A /key/block answer proves the block when it is the key's row, blocked."""
    if isinstance(answer, dict) and answer.get("blocked") is True:
        return ""
    return "the answer is not a blocked key (is this a LiteLLM proxy of this gateway?)"


def cache_ttl(client: BaseClient) -> tuple[float, str]:
    """The auth cache's TTL as the gateway declares it, else LiteLLM's default."""
    cached = getattr(client, "_cache_ttl", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = (DEFAULT_CACHE_TTL, "LiteLLM's default")
    try:
        body = client._call("GET", "/config/field/info",
                            params={"field_name": "user_api_key_cache_ttl"})
        value = body.get("field_value") if isinstance(body, dict) else None
        if isinstance(value, int | float | str) and float(value) > 0:
            found = (float(value), "general_settings.user_api_key_cache_ttl")
    except (GatewayError, ValueError):
        pass  # not set, or not readable with this key: LiteLLM's default then
    client._cache_ttl = found  # type: ignore[attr-defined]
    return found
