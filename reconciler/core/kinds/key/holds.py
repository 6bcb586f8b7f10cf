"""Blocks made outside desired/ are sticky (holds). Pure.

An admin who blocks an agent for abnormal spend (by hand, through the UI, or with
`reconciler block`) must not see an unrelated merge lift that block. The tool records, on
every key it writes, the blocked state desired/ declared at the time; a key that is blocked
while that record (or its absence) says the tool did not block it is *held*: plans show it,
apply never unblocks it. `reconciler unblock`, or desired/ saying `blocked: true`, ends it.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, Untouched, Verb
from reconciler.core.engine.markers import marker_for
from reconciler.core.errors import PlanError
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.fields import APPLIED_FIELD, HOLD_FIELD, change
from reconciler.core.kinds.key.live import LiveKey


def tool_blocked(live: LiveKey) -> bool:
    """True only when the tool's own record says desired/ asked for this block."""
    return (live.applied or {}).get("blocked") is True


def is_held(live: LiveKey, desired_blocked: bool) -> bool:
    """Blocked on the gateway, not by desired/ (or by `reconciler block` on top of a block
    desired/ made): apply keeps it blocked."""
    return live.blocked and not desired_blocked and (bool(live.hold) or not tool_blocked(live))


def absorbs_hold(live: LiveKey, desired_blocked: bool) -> bool:
    """desired/ now declares a block the tool did not make: record it as the tool's own, so a
    later `blocked: false` in desired/ is a reviewed unblock rather than a hold."""
    if not (live.blocked and desired_blocked):
        return False
    return bool(live.hold) or (live.applied is not None and not tool_blocked(live))


def hold_entry(agent: str, live: LiveKey) -> Untouched:
    return Untouched("held_key", agent, f"{live.key_name} {describe(live.hold)}")


def describe(hold: dict[str, Any]) -> str:
    if not hold:
        return "blocked outside desired/ (by hand); reconciler unblock lifts it"
    reason = hold.get("reason") or "no reason given"
    return (
        f"blocked by reconciler block at {hold.get('at', '?')}: {reason}; "
        "reconciler unblock lifts it"
    )


def hold_metadata(reason: str, at: str) -> dict[str, Any]:
    """The metadata entry `reconciler block` writes on a key."""
    return {HOLD_FIELD: {"reason": reason, "at": at, "by": "reconciler block"}}


def incident_target(estate: Estate, keys: tuple[LiveKey, ...], agent: str) -> LiveKey:
    """The key `reconciler block/unblock AGENT` may act on: this scope's, never a pinned one."""
    matches = [k for k in keys if k.alias == agent]
    for key in matches:
        if estate.is_pinned(key.token, key.alias):
            raise PlanError(f"{agent!r} is a pinned key: no command may change it")
    mine = [k for k in matches if k.marker == marker_for(estate.settings.scope)]
    if not mine:
        if matches:
            owner = matches[0].marker or "nobody (not created by this tool)"
            raise PlanError(
                f"the key of {agent!r} ({matches[0].key_name}) is managed by {owner}, "
                f"not by scope {estate.settings.scope!r}: refusing to touch it"
            )
        raise PlanError(f"no key of agent {agent!r} on the gateway")
    if len(mine) > 1:
        raise PlanError(f"{len(mine)} keys of this scope are named {agent!r}: run apply first")
    return mine[0]


def blocked_metadata(key: LiveKey) -> dict[str, Any]:
    """The metadata written with a block the tool makes: its record says blocked, so the
    next plan does not read the block as a hold."""
    return {**key.metadata, APPLIED_FIELD: {**(key.applied or {}), "blocked": True}}


def tool_block(key: LiveKey, reason: str) -> Change:
    """The tool's own block of a managed key no agent holds (any more), record included."""
    return change(
        Verb.BLOCK, str(key.alias),
        before={"blocked": False},
        after={"blocked": True},
        ref=key.token,
        label=key.key_name,
        reason=reason,
        spec={"metadata": blocked_metadata(key)},
    )
