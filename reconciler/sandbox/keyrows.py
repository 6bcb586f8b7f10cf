"""Stored key rows and the per-endpoint projections of them.

Rows keep timestamps as `+00:00` strings; views convert to `...Z` where the real endpoint
serialises through pydantic (generate, block, unblock, list) instead of `jsonable_encoder`.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from . import fields as F
from .util import abbreviate_key, fmt_offset, hash_token, parse_ts, to_z

Row = dict[str, Any]
ADMIN_USER_ID = "default_user_id"

_ROW_DEFAULTS: dict[str, Any] = {
    "soft_budget_cooldown": False, "spend": 0.0, "total_spend": 0.0, "models": [],
    "aliases": {}, "config": {}, "router_settings": {}, "permissions": {}, "metadata": {},
    "allowed_cache_controls": [], "allowed_routes": [], "key_type": "default", "policies": [],
    "access_group_ids": [], "model_spend": {}, "model_max_budget": {}, "budget_fallbacks": {},
    "rotation_count": 0, "auto_rotate": False,
}


def default_for(name: str) -> Any:
    """Column default (a fresh copy), used when a request nulls a non-nullable column."""
    return copy.deepcopy(_ROW_DEFAULTS.get(name))


def blank_row(raw_key: str, created: dt.datetime) -> Row:
    """A row with every Prisma column at its default, as a create with no options yields."""
    row: Row = {name: copy.deepcopy(_ROW_DEFAULTS.get(name)) for name in F.ROW_FIELDS}
    row["token"] = hash_token(raw_key)
    row["key_name"] = abbreviate_key(raw_key)
    stamp = fmt_offset(created)
    row.update(created_at=stamp, updated_at=stamp)
    row.update(created_by=ADMIN_USER_ID, updated_by=ADMIN_USER_ID)
    return row


def status_of(row: Row, now: dt.datetime) -> str:
    """Derived /key/info status: blocked wins over expiry (LITELLM_ADMIN_API.md §2.2)."""
    if row.get("blocked") is True:
        return "revoked"
    expires = row.get("expires")
    if expires and parse_ts(expires) < now:
        return "expired"
    return "active"


def _z_dates(view: Row) -> Row:
    return {k: to_z(v) if k in F.DATETIME_FIELDS else v for k, v in view.items()}


def prisma_view(row: Row) -> Row:
    """Raw Prisma row (`/key/unblock`, and `/key/update` with `+00:00` dates)."""
    return {name: copy.deepcopy(row.get(name)) for name in F.ROW_FIELDS}


def info_view(row: Row, now: dt.datetime) -> Row:
    view = prisma_view(row)
    del view["token"]
    view["status"] = status_of(row, now)
    return view


def token_model_view(row: Row) -> Row:
    """LiteLLM_VerificationToken (`/key/block`): `org_id` instead of `organization_id`."""
    view = {name: copy.deepcopy(row.get(name)) for name in F.TOKEN_MODEL_FIELDS}
    view["org_id"] = None
    return _z_dates(view)


def list_view(row: Row) -> Row:
    view = token_model_view(row)
    view.update(F.list_extra_defaults())
    return view


def unblock_view(row: Row) -> Row:
    return _z_dates(prisma_view(row))


def update_view(row: Row, echoed_key: str) -> Row:
    return {"key": echoed_key, **prisma_view(row)}


def archived_row(row: Row, archive_id: str, deleted: dt.datetime) -> Row:
    """Row as copied into LiteLLM_DeletedVerificationToken (shape of example 45)."""
    archived = {name: copy.deepcopy(row.get(name)) for name in F.TOKEN_MODEL_FIELDS}
    archived["org_id"] = None
    archived.update(
        id=archive_id, organization_id=row.get("organization_id"),
        deleted_at=fmt_offset(deleted), deleted_by=ADMIN_USER_ID,
        deleted_by_api_key="litellm_proxy_master_key", litellm_changed_by=None,
    )
    return archived


def deleted_info_view(archived: Row) -> Row:
    view = {k: copy.deepcopy(v) for k, v in archived.items() if k != "token"}
    view["status"] = "deleted"
    return view


def generate_view(row: Row, raw_key: str, body: dict[str, Any]) -> Row:
    """GenerateKeyResponse. `row` is always built from the request: for a duplicate custom key
    the real proxy echoes the request although nothing was written."""
    out: Row = {}
    for name in F.GENERATE_FIELDS:
        if name in F.ROW_FIELDS:
            out[name] = copy.deepcopy(row.get(name))
        else:
            out[name] = None
    out["router_settings"] = _generate_router_settings(body.get("router_settings"))
    out.update(key=raw_key, token_id=row["token"], duration=None, policies=body.get("policies"))
    return _z_dates(out)


def _generate_router_settings(requested: Any) -> Row:
    settings: Row = dict.fromkeys(F.KEY_ROUTER_SETTINGS_FIELDS)
    settings["model_group_alias"] = {}
    if isinstance(requested, dict):
        settings.update({k: v for k, v in requested.items() if k in settings})
    return settings
