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


def parse_fallbacks(router_settings: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """LiteLLM keeps fallbacks as [{"group": ["next", ...]}, ...]; null means none."""
    if router_settings is None:
        return None
    merged: dict[str, list[str]] = {}
    for entry in router_settings.get("fallbacks") or []:
        if isinstance(entry, dict):
            merged.update({str(k): list(v or []) for k, v in entry.items()})
    return merged


@dataclass(frozen=True)
class LiveRouting:
    fallbacks: dict[str, list[str]] | None
    settings: dict[str, Any]  # the rest of router_settings, nulls folded away
    record: str | None = None  # digest of the fallbacks the tool last applied, if known


def parse_routing(router_settings: dict[str, Any] | None) -> LiveRouting:
    settings = {k: _folded(k, v) for k, v in (router_settings or {}).items()
                if k not in ("fallbacks", RECORD_KEY)}
    record = (router_settings or {}).get(RECORD_KEY)
    return LiveRouting(parse_fallbacks(router_settings), settings,
                       record if isinstance(record, str) else None)


def fallbacks_digest(fallbacks: dict[str, list[str]]) -> str:
    """Order of groups does not matter to the router; order of targets does."""
    return digest({group: list(targets) for group, targets in fallbacks.items()})


def record_of(live: LiveState) -> str | None:
    part = live.part(KIND, None)
    return part.record if part is not None else None


def _folded(name: str, value: Any) -> Any:
    # The proxy shows every retry class of a retry_policy, the unset ones as null.
    if name == "retry_policy" and isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None} or None
    if name in ("context_window_fallbacks", "model_group_alias") and value in ([], {}):
        return None
    return value


def fallbacks_of(live: LiveState) -> dict[str, list[str]] | None:
    """The live fallbacks, or None when they were not read (desired/ leaves them alone)."""
    part = live.part(KIND, None)
    return part.fallbacks if part is not None else None


def settings_of(live: LiveState) -> dict[str, Any]:
    part = live.part(KIND, None)
    return part.settings if part is not None else {}


def fingerprint(routing: LiveRouting) -> Any:
    return [routing.fallbacks, routing.settings]
