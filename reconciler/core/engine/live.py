"""The live gateway as the kinds normalised it: one part per kind. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class LiveState:
    # kind name -> that kind's live objects (Kind.parse); a kind not read is absent.
    parts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # When the gateway was read: a rotated-out key whose expiry is past by then is blocked.
    # Not part of the fingerprint: the clock moving is not the gateway changing.
    read_at: dt.datetime | None = None
    digest: str = ""

    def part(self, kind: str, default: Any = ()) -> Any:
        return self.parts.get(kind, default)

    def read(self, kind: str) -> bool:
        return kind in self.parts

    def fingerprint(self) -> str:
        """Changes whenever anything the tool diffs changes; ties a saved plan to what it saw."""
        return self.digest


def parse_moment(value: object) -> dt.datetime | None:
    """A LiteLLM timestamp (ISO 8601, with or without zone: UTC then) or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def whole(value: Any) -> Any:
    """50.0 as 50: the proxy stores 5 and 5.0 alike and YAML `50` arrives as 50.0 through a
    float field, so both sides are compared, shown and sent as people wrote them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
