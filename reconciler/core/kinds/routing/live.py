"""The gateway's router settings as read from /config, normalised for diffing. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.live import LiveState

KIND = "routing"


def parse_fallbacks(router_settings: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """LiteLLM keeps fallbacks as [{"group": ["next", ...]}, ...]; null means none."""
    if router_settings is None:
        return None
    merged: dict[str, list[str]] = {}
    for entry in router_settings.get("fallbacks") or []:
        if isinstance(entry, dict):
            merged.update({str(k): list(v or []) for k, v in entry.items()})
    return merged


def fallbacks_of(live: LiveState) -> dict[str, list[str]] | None:
    """The live fallbacks, or None when they were not read (desired/ leaves them alone)."""
    return live.part(KIND, None)


def fingerprint(fallbacks: dict[str, list[str]] | None) -> Any:
    return fallbacks
