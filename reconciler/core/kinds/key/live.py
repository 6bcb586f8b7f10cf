"""A virtual key as read from /key/list, normalised for diffing. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.engine.live import LiveState, parse_moment, whole
from reconciler.core.engine.markers import MARKER_FIELD, read_marker
from reconciler.core.engine.ownership import claim_of, claimed
from reconciler.core.kinds.key.fields import (
    APPLIED_FIELD,
    HOLD_FIELD,
    KEY_LIMIT_FIELDS,
    KIND,
    ROTATED_FIELD,
    ROTATION_FIELD,
    UNDELIVERED_FIELD,
)


@dataclass(frozen=True)
class LiveKey:
    token: str  # sha256 of the raw key: the key's identity, not a secret
    alias: str | None
    key_name: str  # LiteLLM's own abbreviation, "sk-...a1b2"
    models: tuple[str, ...]
    blocked: bool
    limits: dict[str, Any]
    metadata: dict[str, Any]
    expires: dt.datetime | None = None
    # What the key belongs to: the team, the shared budget and the user it draws on.
    team_id: str | None = None
    budget_id: str | None = None
    user_id: str | None = None
    # Why the marker on this key is not proven the tool's (engine/ownership.py), or None.
    claim: str | None = None
    # soft_budget, max_parallel_requests, allowed_routes, aliases (schema.KEY_EXTRA_FIELDS).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def marker(self) -> str | None:
        """The reconciler marker (any scope) or None for a key the tool did not create. A
        claimed marker is no scope's: it reads as the claim, so nothing treats it as its own."""
        return claimed(read_marker(self.metadata.get(MARKER_FIELD)), self.claim)

    @property
    def rotation(self) -> int:
        """The rotation serial the key was made for; 0 before any rotation."""
        value = self.metadata.get(ROTATION_FIELD)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def rotated(self) -> dict[str, Any] | None:
        """The rotated-out record (agent, serial, next, grace), or None for a current key."""
        value = self.metadata.get(ROTATED_FIELD)
        return value if isinstance(value, dict) else None

    @property
    def secret_undelivered(self) -> bool:
        return bool(self.metadata.get(UNDELIVERED_FIELD))

    @property
    def applied(self) -> dict[str, Any] | None:
        """What the tool last applied to this key, or None (not recorded: unknown)."""
        value = self.metadata.get(APPLIED_FIELD)
        return value if isinstance(value, dict) else None

    @property
    def hold(self) -> dict[str, Any]:
        value = self.metadata.get(HOLD_FIELD)
        return value if isinstance(value, dict) else {}


def parse_key(row: dict[str, Any]) -> LiveKey:
    """A /key/list full object -> LiveKey, with server-side defaults folded away."""
    metadata = row.get("metadata") or {}
    return LiveKey(
        token=str(row["token"]),
        alias=row.get("key_alias"),
        key_name=str(row.get("key_name") or "sk-..."),
        models=tuple(row.get("models") or ()),
        # null (never set) and false (unblocked) both mean "not blocked".
        blocked=row.get("blocked") is True,
        limits={name: whole(row.get(name)) for name in KEY_LIMIT_FIELDS},
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        expires=parse_moment(row.get("expires")),
        team_id=_text(row.get("team_id")),
        budget_id=_text(row.get("budget_id")),
        user_id=_text(row.get("user_id")),
        claim=claim_of(row),
        extras=_extras(row),
    )


def _extras(row: dict[str, Any]) -> dict[str, Any]:
    # The soft budget lives in the key's budget row, which /key/list joins in.
    table = row.get("litellm_budget_table")
    soft = table.get("soft_budget") if isinstance(table, dict) else None
    routes, aliases = row.get("allowed_routes"), row.get("aliases")
    return {
        "soft_budget": whole(soft) if isinstance(soft, (int, float)) and not isinstance(soft, bool)
        else None,
        "max_parallel_requests": whole(row.get("max_parallel_requests")),
        "allowed_routes": sorted(str(r) for r in routes) if isinstance(routes, list) else [],
        "aliases": dict(aliases) if isinstance(aliases, dict) else {},
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None




def parse_keys(rows: list[dict[str, Any]]) -> tuple[LiveKey, ...]:
    return tuple(parse_key(r) for r in rows)


def keys_of(live: LiveState) -> tuple[LiveKey, ...]:
    return tuple(live.part(KIND))


def fingerprint(keys: tuple[LiveKey, ...]) -> Any:
    return sorted(
        [k.token, k.alias, sorted(k.models), k.blocked, k.limits, k.metadata, k.team_id,
         k.budget_id, k.user_id, k.extras] for k in keys
    )

