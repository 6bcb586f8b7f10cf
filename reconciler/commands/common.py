"""What every command that talks to the gateway shares: the client, live state, output."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from reconciler.core.address import normalize_base_url
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.plan import Plan, desired_digest
from reconciler.core.engine.planner import plan_changes, reads
from reconciler.core.errors import GatewayError, ReconcilerError
from reconciler.core.input.desired import Estate
from reconciler.core.registry import parse_live
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.parallel import DEFAULT_PARALLELISM
from reconciler.gateway.registry import read_rows
from reconciler.gateway.replicas import REPLICAS_ENV, Replicas, parse_replica_urls
from reconciler.gateway.retry import RetryPolicy

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
# Seconds before the first retry (doubling from there); tests set it small.
RETRY_BASE_ENV = "RECONCILER_RETRY_BASE"


def open_client(args: argparse.Namespace) -> GatewayClient:
    if not args.base_url:
        raise ReconcilerError("no gateway address: set LITELLM_BASE_URL or pass --base-url")
    if not args.admin_key:
        raise ReconcilerError("no admin key: set LITELLM_ADMIN_KEY (or LITELLM_API_KEY)")
    base_url, note = normalize_base_url(args.base_url)
    if note:
        print(note, file=sys.stderr)
    # Commands without the retry and parallelism flags get the defaults.
    retry = RetryPolicy(
        attempts=max(1, getattr(args, "retries", 5) + 1),
        budget=getattr(args, "retry_budget", RetryPolicy.budget),
        base=float(os.environ.get(RETRY_BASE_ENV) or RetryPolicy.base),
        notify=_retry_teller(),
    )
    client = GatewayClient(
        base_url, args.admin_key, timeout=args.timeout, retry=retry,
        parallelism=getattr(args, "parallelism", DEFAULT_PARALLELISM),
    )
    # A target that names its gateway names its replicas too (or none): never LITELLM_*'s.
    named = getattr(args, "replica_urls", None)
    urls = parse_replica_urls(os.environ.get(REPLICAS_ENV, "") if named is None else named)
    if urls:
        client.replicas = Replicas(urls, args.admin_key)
    return client


def _retry_teller() -> Callable[[int, int, float, GatewayError], None]:
    """A stderr line per wait (stdout stays the command's output), e.g. while the gateway is
    unreachable: "retrying (2/6) in 0.5 s: cannot reach the gateway at ...". Calls in flight
    together fail together: each attempt number is said once per few seconds, not per call."""
    said: dict[int, float] = {}
    lock = threading.Lock()

    def tell(attempt: int, attempts: int, wait: float, why: GatewayError) -> None:
        now = time.monotonic()
        with lock:
            if now - said.get(attempt, -10.0) < 5.0:
                return
            said[attempt] = now
        print(f"retrying ({attempt}/{attempts}) in {wait:.1f} s: {why}", file=sys.stderr,
              flush=True)

    return tell


def read_live(client: GatewayClient, kinds: Collection[str]) -> LiveState:
    """The live state of these kinds, each read by its gateway module."""
    # Taken before the first page: a key expired by then has surely expired.
    read_at = dt.datetime.now(dt.timezone.utc)
    return parse_live(read_rows(client, kinds), read_at)


def derive_plan(client: GatewayClient, estate: Estate) -> tuple[Plan, LiveState]:
    """The plan desired/ and the live gateway give now, stamped with desired/'s digest."""
    live = read_live(client, reads(estate))
    plan = replace(plan_changes(estate, live), desired_digest=desired_digest(estate))
    return plan, live


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def write_json(path: Path, data: object) -> None:
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror}") from None
