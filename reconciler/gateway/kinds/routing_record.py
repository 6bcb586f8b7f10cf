"""Where the tool records the fallbacks it last applied: a key of its own.

The proxy refuses any router setting it does not know (400 "Unsupported router settings"),
and general_settings cannot be read back, so the digest of the applied fallbacks is kept in
the metadata of one blocked key that allows no model and has a budget of 0 (like the apply
lease's keys; its alias starts with the reserved `reconciler-lease`, so no agent can take
it, and plans never show it). Only a row an admin identity wrote is believed: anyone may
create a key with that alias, nobody else can make it look admin-written.
"""

from __future__ import annotations

import secrets
from typing import Any

from reconciler.core.engine.ownership import is_admin_written
from reconciler.core.input.names import LEASE_PREFIX

RECORD_ALIAS = f"{LEASE_PREFIX}-record/routing"
RECORD_FIELD = "reconciler_routing"


def is_record_row(row: dict[str, Any]) -> bool:
    metadata = row.get("metadata")
    return row.get("key_alias") == RECORD_ALIAS and isinstance(metadata, dict) \
        and RECORD_FIELD in metadata


def without_record_rows(rows: list[dict[str, Any]], admins: frozenset[str]) -> list[dict[str, Any]]:
    """The key rows a plan diffs: the record is the routing kind's, never an agent's key."""
    return [r for r in rows if not (is_record_row(r) and is_admin_written(r, admins))]


def _trusted(client: Any) -> list[dict[str, Any]]:
    admins = client.admin_identities()
    return [r for r in client.find_keys_by_alias(RECORD_ALIAS)
            if is_record_row(r) and is_admin_written(r, admins)]


def read_record(client: Any) -> str | None:
    """The digest of the fallbacks the tool last applied, or None (never recorded)."""
    for row in _trusted(client):
        value = (row["metadata"].get(RECORD_FIELD) or {}).get("sha256")
        if isinstance(value, str):
            return value
    return None


def write_record(client: Any, sha256: str) -> None:
    metadata = {RECORD_FIELD: {"sha256": sha256}}
    rows = _trusted(client)
    if rows:
        client.update_key(str(rows[0]["token"]), {"metadata": metadata})
        return
    client.generate_key({
        # A raw value nobody keeps: the key is blocked, allows no model and has no budget.
        "key": "sk-" + secrets.token_urlsafe(32),
        "key_alias": RECORD_ALIAS,
        "blocked": True,
        "models": ["reconciler-record-no-model"],
        "max_budget": 0,
        "metadata": metadata,
    })
