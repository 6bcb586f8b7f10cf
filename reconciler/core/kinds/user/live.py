"""A user as read from /user/list, normalised for diffing. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, read_marker

KIND = "user"
# What the tool last applied (content digest, protected), like a key's record.
APPLIED_FIELD = "reconciler_applied"
BOOKKEEPING = frozenset({MARKER_FIELD, APPLIED_FIELD})


@dataclass(frozen=True)
class LiveUser:
    id: str
    email: str | None
    role: str | None
    alias: str | None
    metadata: dict[str, Any]

    @property
    def marker(self) -> str | None:
        return read_marker(self.metadata.get(MARKER_FIELD))

    @property
    def applied(self) -> dict[str, Any]:
        value = self.metadata.get(APPLIED_FIELD)
        return value if isinstance(value, dict) else {}

    def fields(self) -> dict[str, Any]:
        return {"email": self.email, "role": self.role, "alias": self.alias}


def parse_user(row: dict[str, Any]) -> LiveUser:
    metadata = row.get("metadata")
    return LiveUser(
        id=str(row.get("user_id")),
        email=row.get("user_email"),
        role=row.get("user_role"),
        alias=row.get("user_alias"),
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
    )


def parse_users(rows: list[dict[str, Any]]) -> tuple[LiveUser, ...]:
    return tuple(parse_user(r) for r in rows if r.get("user_id"))


def users_of(live: LiveState) -> tuple[LiveUser, ...]:
    return tuple(live.part(KIND))


def fingerprint(users: tuple[LiveUser, ...]) -> Any:
    return sorted([u.id, u.email, u.role, u.alias, u.metadata] for u in users)
