"""The gateway's router settings as read from /config, normalised for diffing. Pure.

The proxy refuses unknown router settings, so the tool's record of the fallbacks it last
applied (a digest, for drift) lives on a key of its own (gateway/kinds/routing_record.py);
the reader hands it over in the router settings under RECORD_KEY, which no real setting uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.stamps import digest

KIND = "routing"
RECORD_KEY = "reconciler_applied"


@dataclass(frozen=True)
class LiveRouting:
    fallbacks: dict[str, list[str]]
    record: str | None = None  # digest of the fallbacks the tool last applied, if known


def parse_fallbacks(router_settings: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """LiteLLM keeps fallbacks as [{"group": ["next", ...]}, ...]; null means none."""
    if router_settings is None:
        return None
    merged: dict[str, list[str]] = {}
    for entry in router_settings.get("fallbacks") or []:
        if isinstance(entry, dict):
            merged.update({str(k): list(v or []) for k, v in entry.items()})
    return merged


def parse_routing(router_settings: dict[str, Any] | None) -> LiveRouting | None:
    fallbacks = parse_fallbacks(router_settings)
    if fallbacks is None or router_settings is None:
        return None
    record = router_settings.get(RECORD_KEY)
    return LiveRouting(fallbacks, record if isinstance(record, str) else None)


def fallbacks_digest(fallbacks: dict[str, list[str]]) -> str:
    """Order of groups does not matter to the router; order of targets does."""
    return digest({group: list(targets) for group, targets in fallbacks.items()})


def fallbacks_of(live: LiveState) -> dict[str, list[str]] | None:
    """The live fallbacks, or None when they were not read (desired/ leaves them alone)."""
    routing = live.part(KIND, None)
    return routing.fallbacks if isinstance(routing, LiveRouting) else None


def record_of(live: LiveState) -> str | None:
    routing = live.part(KIND, None)
    return routing.record if isinstance(routing, LiveRouting) else None


def fingerprint(routing: LiveRouting | None) -> Any:
    return None if routing is None else routing.fallbacks
