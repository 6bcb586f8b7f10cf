"""Whose is a live object: proven by the gateway's own records, never by what it claims. Pure.

LiteLLM lets an internal user create keys for themselves with any alias and any metadata,
the tool's marker and a fake last-applied record included. What such a user cannot write is
the proxy's own record of who made the key: `/key/generate` sets `created_by` and
`updated_by` to the caller's user id and ignores those fields in the body (measured on LiteLLM
1.108.7; the master key's identity is `default_user_id`, LITELLM_PROXY_ADMIN_NAME). So a key
counts as the tool's only when an admin identity created or last wrote it AND it carries the
last-applied record the tool writes on every key. A model counts only when it is not a team
model: `/model/new` is refused to anyone but a proxy admin unless `model_info.team_id` names
a team the caller administers.

Anything else that carries the marker is a claim by another identity: reported, never
trusted, never adopted or changed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.core.engine.markers import read_marker

# The master key's user id on every LiteLLM proxy (LITELLM_PROXY_ADMIN_NAME).
MASTER_IDENTITY = "default_user_id"
# Row field (not metadata) where a gateway read records a claim, so parsing needs no
# identities.
CLAIM_ROW_FIELD = "_reconciler_claim"


def claims_marker(value: object) -> bool:
    return read_marker(value) is not None


def is_admin_written(row: dict[str, Any], admins: Collection[str]) -> bool:
    return any(isinstance(w, str) and w in admins
               for w in (row.get("created_by"), row.get("updated_by")))


def admin_identities(users: list[dict[str, Any]]) -> frozenset[str]:
    """The master key's identity and every proxy admin's user id (from /user/list)."""
    ids = {str(u["user_id"]) for u in users
           if isinstance(u, dict) and u.get("user_role") == "proxy_admin" and u.get("user_id")}
    return frozenset({MASTER_IDENTITY, *ids})


def claim_of(row: dict[str, Any]) -> str | None:
    """The claim a gateway read recorded on a row, or None."""
    value = row.get(CLAIM_ROW_FIELD)
    return value if isinstance(value, str) else None


def claimed(marker: str | None, claim: str | None) -> str | None:
    """A claimed marker is no scope's: it reads as the claim, so nothing takes it as its own."""
    return f"claims {marker}, {claim}: never trusted" if marker and claim else marker


def vet(rows: list[dict[str, Any]], claim: Any) -> list[dict[str, Any]]:
    """The rows with each claim recorded on the row (CLAIM_ROW_FIELD)."""
    out = []
    for row in rows:
        found = claim(row)
        out.append({**row, CLAIM_ROW_FIELD: found} if found else row)
    return out
