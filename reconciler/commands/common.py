"""What every command that talks to the gateway shares: the client, live state, output."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from reconciler.core.address import normalize_base_url
from reconciler.core.desired import Estate
from reconciler.core.diff import plan_changes
from reconciler.core.errors import ReconcilerError
from reconciler.core.live import KEY_LIMIT_FIELDS, LiveState, parse_live
from reconciler.core.ownership import vet_keys, vet_models
from reconciler.core.plan import Plan, desired_digest
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.lease import without_lease_rows
from reconciler.gateway.parallel import DEFAULT_PARALLELISM
from reconciler.gateway.retry import RetryPolicy

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
# Seconds before the first retry (doubling from there); tests set it small.
RETRY_BASE_ENV = "RECONCILER_RETRY_BASE"
# What parse_live reads of a key row (the rest of its ~60 fields is dropped on arrival).
LIVE_KEY_FIELDS = (
    "key_alias", "key_name", "models", "blocked", "metadata", "expires", *KEY_LIMIT_FIELDS,
    "created_by", "updated_by",  # the proxy's own record of who wrote the key (ownership.py)
)


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
    )
    return GatewayClient(
        base_url, args.admin_key, timeout=args.timeout, retry=retry,
        parallelism=getattr(args, "parallelism", DEFAULT_PARALLELISM),
    )


def read_live(client: GatewayClient, *, fallbacks: bool) -> LiveState:
    # Taken before the first page: a key expired by then has surely expired.
    read_at = dt.datetime.now(dt.timezone.utc)
    # Models and router settings are read while the key pages come in.
    models = client.pool.submit(client.list_models)
    router = client.pool.submit(client.router_settings) if fallbacks else None
    admins = client.pool.submit(client.admin_identities)
    rows = client.list_keys(fields=LIVE_KEY_FIELDS)
    # The apply lease is a key of the gateway's but never part of any plan. A marker is the
    # tool's only where the gateway's records prove it (ownership.py).
    trusted = admins.result()
    keys = vet_keys(without_lease_rows(rows, trusted), trusted)
    return parse_live(
        keys, vet_models(models.result()), router.result() if router else None, read_at
    )


def derive_plan(client: GatewayClient, estate: Estate) -> tuple[Plan, LiveState]:
    """The plan desired/ and the live gateway give now, stamped with desired/'s digest."""
    live = read_live(client, fallbacks=estate.manages_fallbacks)
    plan = replace(plan_changes(estate, live), desired_digest=desired_digest(estate))
    return plan, live


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def write_json(path: Path, data: object) -> None:
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror}") from None
