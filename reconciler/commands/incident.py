"""block / unblock: the incident commands. Immediate (no plan, no pull request), recorded on
the key's metadata, and sticky: plans show the hold and apply never lifts it (core/holds.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import unicodedata

from reconciler.commands.common import EXIT_ERROR, EXIT_OK, open_client
from reconciler.commands.targets import incident_tree
from reconciler.core.errors import ReconcilerError
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.fields import HOLD_FIELD
from reconciler.core.kinds.key.holds import blocked_metadata, hold_metadata, incident_target
from reconciler.core.kinds.key.live import LiveKey, parse_key
from reconciler.core.kinds.key.rotation import still_working
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.revoke import Revoker


def _keys_named(client: GatewayClient, agent: str) -> tuple[LiveKey, ...]:
    # One filtered read: an incident command must not wait for, or trip over, a whole listing.
    return tuple(parse_key(row) for row in client.find_keys_by_alias(agent))


def run_block(args: argparse.Namespace) -> int:
    reason = args.reason.strip()
    if not reason:
        raise ReconcilerError("--reason must say why (it is recorded on the key)")
    estate = incident_tree(args)[0].estate
    at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    with open_client(args) as client:
        key = incident_target(estate, _keys_named(client, args.agent), args.agent)
        metadata = {**key.metadata, **hold_metadata(reason, at)}
        revoker = Revoker(client)
        revoker.block(f"key.{args.agent}", key.token, lambda: client.update_key(
            key.token, {"blocked": True, "metadata": metadata}))
        rotated = _block_rotated_out(client, revoker, estate, args.agent)
    also = f" and its rotated-out key(s) {', '.join(rotated)}" if rotated else ""
    print(
        f"Blocked {args.agent} ({key.key_name}){also} at {at}: {reason}\n"
        f"Held: every plan shows it and apply keeps it blocked until "
        f"`reconciler unblock {args.agent}` (or desired/ says blocked: true)."
    )
    for force in revoker.in_force:
        print(f"{force.address}: {force.text()}", file=sys.stdout if force.ok else sys.stderr)
    # Blocked in the database either way; a replica that did not confirm is an error to act on.
    return EXIT_OK if all(f.ok for f in revoker.in_force) else EXIT_ERROR


def _block_rotated_out(client: GatewayClient, revoker: Revoker, estate: Estate,
                       agent: str) -> list[str]:
    """A rotated-out key in its grace period would go on spending: it is blocked for good
    (never held: it is on its way out, and unblock leaves it blocked)."""
    rows = client.find_keys_by_alias(f"{agent}#rotation-", substring=True)
    keys = still_working(estate, (parse_key(row) for row in rows), agent)
    for key in keys:
        body = {"blocked": True, "metadata": blocked_metadata(key)}
        revoker.block(f"key.{agent}({key.key_name})", key.token,
                      lambda key=key, body=body: client.update_key(key.token, body))
    return [key.key_name for key in keys]


def run_unblock(args: argparse.Namespace) -> int:
    tree, blocked = incident_tree(args)
    estate = tree.estate
    if unicodedata.normalize("NFC", args.agent) in blocked:
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
