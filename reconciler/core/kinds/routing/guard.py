"""The guard's rule for routing: written only as desired/ declares it. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate


@dataclass(frozen=True)
class RoutingGuardContext:
    # The whole fallback list desired/ declares, as sent; None when desired/ leaves them alone.
    fallbacks: list[dict[str, list[str]]] | None

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> RoutingGuardContext:
        if estate.fallbacks is None:
            return cls(None)
        return cls([{group: list(targets)} for group, targets in estate.fallbacks.items()])


def _update_fallbacks(ctx: RoutingGuardContext, change: Change) -> str | None:
    if ctx.fallbacks is None:
        return "desired/ does not declare fallbacks, so the tool leaves them alone"
    if change.target != "fallbacks" or (change.spec or {}).get("fallbacks") != ctx.fallbacks:
        return "it is not the fallback routing desired/ declares"
    return None


RULES = {Verb.UPDATE: _update_fallbacks}
