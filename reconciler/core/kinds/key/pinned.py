"""Pinned keys leave the diff before anything else sees them. Pure."""

from __future__ import annotations

from reconciler.core.engine.changes import PlanInputs, Untouched
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.live import LiveKey


def without_pinned(
    estate: Estate, keys: tuple[LiveKey, ...], acc: PlanInputs
) -> tuple[list[LiveKey], list[str]]:
    """The keys a plan may consider, and conflicts: an agent named like a pinned key."""
    pinned_tokens = _pinned(estate, keys, acc)
    pinned_aliases = {k.alias for k in keys if k.token in pinned_tokens}
    conflicts = [
        f"agent {a.name!r}: the alias is held by a pinned key; rename the agent"
        for a in estate.agents
        if a.name in pinned_aliases
    ]
    return [k for k in keys if k.token not in pinned_tokens], conflicts


def _pinned(estate: Estate, keys: tuple[LiveKey, ...], acc: PlanInputs) -> set[str]:
    """Tokens of every live key a pinned entry names; those keys leave the diff entirely."""
    tokens: set[str] = set()
    for entry in estate.pinned:
        label = entry.alias or f"sha256:{str(entry.key_sha256)[:12]}..."
        matches = [k for k in keys if entry.pins(k.token, k.alias)]
        if not matches:
            acc.warnings.append(f"pinned key {label} is missing on the gateway")
        for key in matches:
            tokens.add(key.token)
            state = "blocked" if key.blocked else "untouched"
            acc.untouched.append(Untouched("pinned_key", label, f"{key.key_name} {state}"))
            if key.blocked:
                acc.warnings.append(
                    f"pinned key {label} ({key.key_name}) is blocked on the gateway"
                )
    return tokens
