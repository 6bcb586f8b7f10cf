"""Where a key keeps what the tool knows about it: fields of its metadata. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.markers import MARKER_FIELD

KIND = "key"
# Set on a key whose secret could not be handed to the sink; such a key is replaced.
UNDELIVERED_FIELD = "reconciler_secret_undelivered"
# What the tool last applied (content hash, blocked, protected), so a plan can tell drift
# (the gateway moved) from a desired change, and a hand-made block from its own.
APPLIED_FIELD = "reconciler_applied"
# Why and when `reconciler block` blocked the key (an incident hold).
HOLD_FIELD = "reconciler_hold"
# The hold's story once desired/ absorbed it (blocked: true): reason, time and who, kept on the
# key while desired/ keeps it blocked. Not a hold: a later blocked: false is a reviewed unblock.
BLOCK_STORY_FIELD = "reconciler_block"
# The lifetime desired/ declared (the live key shows only `expires`, a moment).
DURATION_FIELD = "key_duration"
# The rotation serial the key was created for (an agent's `rotation`).
ROTATION_FIELD = "reconciler_rotation"
# On a rotated-out key: whose it was and which rotation replaced it. Such a key keeps working
# until it expires (its grace period), then the tool blocks it.
ROTATED_FIELD = "reconciler_rotated"

KEY_LIMIT_FIELDS = ("max_budget", "budget_duration", "rpm_limit", "tpm_limit")

# Metadata the tool keeps for itself: never part of what is compared or digested.
BOOKKEEPING = frozenset(
    {MARKER_FIELD, APPLIED_FIELD, HOLD_FIELD, UNDELIVERED_FIELD, ROTATION_FIELD, ROTATED_FIELD,
     BLOCK_STORY_FIELD}
)


def change(verb: Verb, target: str, **fields: Any) -> Change:
    """A change to the key of agent `target`."""
    return Change(KIND, verb, target, **fields)
