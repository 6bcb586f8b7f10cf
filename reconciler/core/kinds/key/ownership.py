"""Whose is a live key: an admin identity created or last wrote it AND it carries the
tool's last-applied record (see engine/ownership.py for what LiteLLM records). Pure."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD
from reconciler.core.engine.ownership import claims_marker, vet
from reconciler.core.kinds.key.fields import APPLIED_FIELD
from reconciler.core.kinds.key.live import keys_of
from reconciler.core.masking import printable


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


def vet_keys(rows: list[dict[str, Any]], admins: Collection[str]) -> list[dict[str, Any]]:
    return vet(rows, lambda row: key_claim(row, admins))


def claim_warnings(live: LiveState) -> list[str]:
    """One line per claimed key, for every plan: someone else wrote the tool's marker."""
    return [
        f"key {printable(str(k.alias or '(no alias)'))!r} ({k.key_name}) {k.marker}; "
        "left alone: delete it by hand if nobody should hold it"
        for k in keys_of(live) if k.claim
    ]
