"""health: is the gateway ready, does it serve what desired/ needs, how do fallbacks behave."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from reconciler.commands.common import EXIT_OK, open_client
from reconciler.commands.targets import desired_estate
from reconciler.core.errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayHTTPError,
    ReconcilerError,
)
from reconciler.core.kinds.routing.live import parse_fallbacks
from reconciler.core.observe.health import Probe, assess, render_health
from reconciler.core.observe.usage import UTC, Period, duration_seconds
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.replicas import ReplicaClient
from reconciler.gateway.version import proxy_version, version_warning

EXIT_UNHEALTHY = 3


def run_health(args: argparse.Namespace) -> int:
    estate = desired_estate(args)
    seconds = duration_seconds(args.window)
    if seconds is None:
        raise ReconcilerError(f"--window wants a duration like 15m, 1h or 1d, not {args.window!r}")
    now = dt.datetime.now(UTC)
    window = Period(now - dt.timedelta(seconds=seconds), now, f"last {args.window}")
    with open_client(args) as client:
        probe = read_probe(client, window, probe_models=args.probe_models)
    report = assess(estate, probe, window)
    render_health(report, sys.stdout, args.format)
    return EXIT_OK if report.healthy else EXIT_UNHEALTHY


def check_ready(client: GatewayClient | ReplicaClient, *, retry: bool = False) -> tuple[bool, str]:
    """Readiness is the HTTP status (503 while the DB is down), then the body's `db`."""
    try:
        body = client.readiness(retry=retry)
    except AuthenticationFailed:
        raise
    except GatewayHTTPError as exc:
        return False, f"not ready: {exc.detail} (HTTP {exc.status})"
    except GatewayError as exc:
        return False, f"unreachable: {exc}"
    db = body.get("db")
    if db not in (None, "connected"):
        return False, f"database {db}"
    return True, f"{body.get('status', 'ready')}, database {db or 'not reported'}"


def read_probe(client: GatewayClient, window: Period, *, probe_models: bool) -> Probe:
    ready, detail = check_ready(client)
    if not ready:
        return Probe(ready=False, ready_detail=detail, alive=_alive(client))
    start, end = (m.strftime("%Y-%m-%d %H:%M:%S") for m in (window.start, window.end))
    version = proxy_version(client)
    return Probe(
        ready=True, ready_detail=detail, alive=_alive(client),
        replicas=_replicas(client), version=version, version_warning=version_warning(version),
        model_rows=client.list_models(), key_rows=client.list_keys(),
        fallbacks=parse_fallbacks(client.router_settings()),
        log_rows=client.spend_logs(start, end),
        endpoint_health=client.model_health() if probe_models else None,
    )


def _replicas(client: GatewayClient) -> list[tuple[str, bool, str]]:
    """Every named replica: ready, and serving the deployments the database holds (its
    /model/info answers from its own router, so a replica that missed a reload shows it)."""
    if client.replicas is None:
        return []
    wanted = {str((m.get("model_info") or {}).get("id")) for m in client.list_models()}

    def probe(replica: ReplicaClient) -> tuple[bool, str]:
        ready, detail = check_ready(replica)
        if not ready:
            return False, detail
        have = {str((m.get("model_info") or {}).get("id")) for m in replica.list_models()}
        missing = len(wanted - have)
        return (not missing, detail if not missing
                else f"{detail}; does not serve {missing} deployment(s) yet")

    found = []
    for url, result in client.replicas.each(probe):
        found.append((url, False, f"unreachable: {result}") if isinstance(result, Exception)
                     else (url, *result))
    return found


def _alive(client: GatewayClient) -> bool:
    try:
        client.liveliness()
    except GatewayError:
        return False
    return True


def add_health_parser(sub: Any, desired_flag: Any, gateway_flags: Any) -> None:
    health = sub.add_parser(
        "health", help="gateway readiness, models, pinned key, fallbacks (exit 3 if unhealthy)",
        description="Readiness and database, liveliness, the model deployments each agent "
        "needs, the pinned key, fallbacks in force versus desired/, and the last window's "
        "fallback activity from the spend logs (10-15 s behind the traffic). Never sends LLM "
        "requests unless --probe-models. Exit 0 healthy, 1 error, 3 unhealthy.")
    desired_flag(health)
    gateway_flags(health)
    health.add_argument("--format", choices=["text", "json"], default="text",
                        help="json: schema/outputs/health.schema.json")
    health.add_argument("--window", default="1h",
                        help="how far back to read fallback activity (default %(default)s)")
    health.add_argument("--probe-models", action="store_true",
                        help="also call /health, which sends a real request to every "
                        "deployment (slow, and it costs money)")
