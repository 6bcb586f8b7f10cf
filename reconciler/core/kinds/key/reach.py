"""The pinned key's reach: the team, budget and user it belongs to, which no change may
narrow or block (its models, limits, blocked state), whatever desired/ or a plan says. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.live import keys_of

# A higher number is more reach; a duration or a blocked flag only ever narrows when set.
_NUMBERS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")


def pinned_owners(estate: Estate, live: LiveState) -> dict[str, frozenset[str]]:
    """team_id / budget_id / user_id of every live pinned key."""
    pinned = [k for k in keys_of(live) if estate.is_pinned(k.token, k.alias)]
    return {
        "team": frozenset(k.team_id for k in pinned if k.team_id),
        "budget": frozenset(k.budget_id for k in pinned if k.budget_id),
        "user": frozenset(k.user_id for k in pinned if k.user_id),
    }


def narrowed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The fields of `after` that would give less than `before` does (sorted)."""
    found = []
    for name in sorted(after):
        was, will = before.get(name), after[name]
        if name in _NUMBERS:
            shrinks = will is not None and (was is None or float(will) < float(was))
        elif name == "models":
            shrinks = bool(set(was or ()) - set(will or ())) or (not was and bool(will))
        elif name == "blocked":
            shrinks = will is True and was is not True
        elif name == "budget_duration":
            shrinks = will is not None and will != was
        else:
            shrinks = False
        if shrinks:
            found.append(name)
    return found


def pinned_refusal(what: str, fields: list[str]) -> str:
    return (f"{what} belongs to a pinned key: the change would narrow its reach "
            f"({', '.join(fields)}); pinned keys never change through the tool")
