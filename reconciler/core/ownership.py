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
from typing import TYPE_CHECKING, Any

from reconciler.core.masking import printable

if TYPE_CHECKING:
    from reconciler.core.live import LiveState

# The master key's user id on every LiteLLM proxy (LITELLM_PROXY_ADMIN_NAME).
MASTER_IDENTITY = "default_user_id"
MARKER_FIELD = "managed_by"
MARKER_VALUE = "reconciler"
APPLIED_FIELD = "reconciler_applied"
# Row field (not metadata) where read_live records a claim, so parse_key needs no identities.
CLAIM_ROW_FIELD = "_reconciler_claim"


def claims_marker(value: object) -> bool:
    return value == MARKER_VALUE or (
        isinstance(value, str) and value.startswith(MARKER_VALUE + "/")
    )


def key_claim(row: dict[str, Any], admins: Collection[str]) -> str | None:
    """None when the row is proven the tool's or carries no marker; else who claims it."""
    metadata = row.get("metadata")
    if not isinstance(metadata, dict) or not claims_marker(metadata.get(MARKER_FIELD)):
        return None
    writers = [row.get("created_by"), row.get("updated_by")]
    if not any(isinstance(w, str) and w in admins for w in writers):
        who = next((w for w in writers if isinstance(w, str) and w), None)
        return f"created by {who!r}, not an admin" if who else "no creator recorded"
    if not isinstance(metadata.get(APPLIED_FIELD), dict):
        return "it carries no last-applied record"
    return None


def model_claim(row: dict[str, Any]) -> str | None:
    """Team admins may create team models (model_info.team_id); only admins others."""
    info = row.get("model_info")
    if not isinstance(info, dict) or not claims_marker(info.get(MARKER_FIELD)):
        return None
    team = info.get("team_id")
    return f"a model of team {team!r}, which a team admin may create" if team else None


def vet_keys(rows: list[dict[str, Any]], admins: Collection[str]) -> list[dict[str, Any]]:
    """The rows with each claim recorded on the row (CLAIM_ROW_FIELD)."""
    out = []
    for row in rows:
        claim = key_claim(row, admins)
        out.append({**row, CLAIM_ROW_FIELD: claim} if claim else row)
    return out


def vet_models(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        claim = model_claim(row)
        out.append({**row, CLAIM_ROW_FIELD: claim} if claim else row)
    return out


def is_admin_written(row: dict[str, Any], admins: Collection[str]) -> bool:
    return any(isinstance(w, str) and w in admins
               for w in (row.get("created_by"), row.get("updated_by")))


def admin_identities(users: list[dict[str, Any]]) -> frozenset[str]:
    """The master key's identity and every proxy admin's user id (from /user/list)."""
    ids = {str(u["user_id"]) for u in users
           if isinstance(u, dict) and u.get("user_role") == "proxy_admin" and u.get("user_id")}
    return frozenset({MASTER_IDENTITY, *ids})


def claim_warnings(live: LiveState) -> list[str]:
    """One line per claimed object, for every plan: someone else wrote the tool's marker."""
    lines = [
        f"key {printable(str(k.alias or '(no alias)'))!r} ({k.key_name}) {k.marker}; "
        "left alone: delete it by hand if nobody should hold it"
        for k in live.keys if k.claim
    ]
    lines += [f"model {printable(m.id)!r} {m.marker}; left alone" for m in live.models if m.claim]
    return lines
