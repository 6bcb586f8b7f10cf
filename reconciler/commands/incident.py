"""block / unblock: the incident commands. Immediate (no plan, no pull request), recorded on
the key's metadata, and sticky: plans show the hold and apply never lifts it (core/holds.py)."""

from __future__ import annotations

import argparse
import datetime as dt

from reconciler.commands.common import EXIT_OK, open_client
from reconciler.commands.targets import desired_estate
from reconciler.core.errors import ReconcilerError
from reconciler.core.holds import hold_metadata, incident_target
from reconciler.core.live import HOLD_FIELD, LiveKey, parse_key
from reconciler.gateway.client import GatewayClient


def _keys_named(client: GatewayClient, agent: str) -> tuple[LiveKey, ...]:
    # One filtered read: an incident command must not wait for, or trip over, a whole listing.
    return tuple(parse_key(row) for row in client.find_keys_by_alias(agent))


def run_block(args: argparse.Namespace) -> int:
    reason = args.reason.strip()
    if not reason:
        raise ReconcilerError("--reason must say why (it is recorded on the key)")
    estate = desired_estate(args)
    at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    with open_client(args) as client:
        key = incident_target(estate, _keys_named(client, args.agent), args.agent)
        metadata = {**key.metadata, **hold_metadata(reason, at)}
        client.update_key(key.token, {"blocked": True, "metadata": metadata})
    print(
        f"Blocked {args.agent} ({key.key_name}) at {at}: {reason}\n"
        f"Held: every plan shows it and apply keeps it blocked until "
        f"`reconciler unblock {args.agent}` (or desired/ says blocked: true)."
    )
    return EXIT_OK


def run_unblock(args: argparse.Namespace) -> int:
    estate = desired_estate(args)
    agent = next((a for a in estate.agents if a.name == args.agent), None)
    if agent is not None and agent.blocked:
        raise ReconcilerError(
            f"desired/ declares {args.agent} blocked: true; unblocking is a reviewed change "
            "there (set blocked: false), not an incident command"
        )
    with open_client(args) as client:
        key = incident_target(estate, _keys_named(client, args.agent), args.agent)
        metadata = {k: v for k, v in key.metadata.items() if k != HOLD_FIELD}
        client.update_key(key.token, {"blocked": False, "metadata": metadata})
    was = "was blocked" if key.blocked else "was not blocked"
    print(f"Unblocked {args.agent} ({key.key_name}); it {was}. The hold is lifted.")
    return EXIT_OK
