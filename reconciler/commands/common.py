"""What every command that talks to the gateway shares: the client, live state, output."""

from __future__ import annotations

import argparse
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
from reconciler.core.live import LiveState, parse_live
from reconciler.core.plan import Plan, desired_digest
from reconciler.gateway.client import GatewayClient

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def open_client(args: argparse.Namespace) -> GatewayClient:
    if not args.base_url:
        raise ReconcilerError("no gateway address: set LITELLM_BASE_URL or pass --base-url")
    if not args.admin_key:
        raise ReconcilerError("no admin key: set LITELLM_ADMIN_KEY (or LITELLM_API_KEY)")
    base_url, note = normalize_base_url(args.base_url)
    if note:
        print(note, file=sys.stderr)
    return GatewayClient(base_url, args.admin_key, timeout=args.timeout)


def read_live(client: GatewayClient, *, fallbacks: bool) -> LiveState:
    router = client.router_settings() if fallbacks else None
    return parse_live(client.list_keys(), client.list_models(), router)


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
