"""The guard's rule for routing: written only as desired/ declares it. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.routing.diff import SETTINGS


@dataclass(frozen=True)
class RoutingGuardContext:
    # The whole fallback list desired/ declares, as sent; None when desired/ leaves them alone.
    fallbacks: list[dict[str, list[str]]] | None
    # The router settings beyond fallbacks desired/ declares, as sent.
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> RoutingGuardContext:
        settings = estate.router_settings()
        if estate.fallbacks is None:
            return cls(None, settings)
        return cls([{group: list(targets)} for group, targets in estate.fallbacks.items()],
                   settings)


def _update_fallbacks(ctx: RoutingGuardContext, change: Change) -> str | None:
    if change.target == SETTINGS:
        if not ctx.settings or (change.spec or {}).get("router_settings") != ctx.settings:
            return "it is not the router settings desired/ declares"
        return None
    if ctx.fallbacks is None:
        return "desired/ does not declare fallbacks, so the tool leaves them alone"
    if change.target != "fallbacks" or (change.spec or {}).get("fallbacks") != ctx.fallbacks:
        return "it is not the fallback routing desired/ declares"
    return None


RULES = {Verb.UPDATE: _update_fallbacks}
