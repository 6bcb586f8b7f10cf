"""GET /key/list: offset pagination, exact-match filters, default created_at/token desc order."""

from __future__ import annotations

import math
from typing import Any

from . import budgets
from . import keyrows as R
from .context import Call, Response
from .errors import proxy_error
from .state import State
from .users import own_keys
from .util import now as utc_now
from .validate import query_bool, query_int

_SORTABLE = ("spend", "max_budget", "created_at", "updated_at", "token", "key_alias")
_STATUSES = ("active", "expired", "revoked", "deleted")
_EXACT_FILTERS = ("key_hash", "user_id", "team_id", "organization_id", "project_id", "agent_id")
_FILTER_COLUMN = {"key_hash": "token"}


def _list_error(message: str) -> Exception:
    # /key/list's inline wrapper: HTTPException -> internal_server_error with param "None".
    return proxy_error(400, message, "internal_server_error", "None")


def _candidates(state: State, status: str | None) -> list[R.Row]:
    if status is None:
        return list(state.keys.values())
    if status not in _STATUSES:
        raise _list_error(f"Invalid status value. Must be one of {list(_STATUSES)}")
    if status == "deleted":
        return list(state.deleted_keys)
    moment = utc_now()
    return [row for row in state.keys.values() if R.status_of(row, moment) == status]


def _alias_matches(row: R.Row, alias: str, substring: bool) -> bool:
    value = row.get("key_alias")
    if value is None:
        return False
    return alias.lower() in value.lower() if substring else value == alias


def _filtered(rows: list[R.Row], query: dict[str, str]) -> list[R.Row]:
    substring = query_bool(query, "substring_matching", False)
    if "key_alias" in query:
        rows = [r for r in rows if _alias_matches(r, query["key_alias"], substring)]
    for name in _EXACT_FILTERS:
        if name in query:
            column = _FILTER_COLUMN.get(name, name)
            rows = [r for r in rows if r.get(column) == query[name]]
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts last in both directions, as Postgres NULLS LAST would after our reversal.
    return (0, value) if value is not None else (1, "")


def _sorted(rows: list[R.Row], query: dict[str, str]) -> list[R.Row]:
    sort_by = query.get("sort_by")
    if sort_by is None:
        ordered = sorted(rows, key=lambda r: (r.get("created_at") or "", r["token"]))
        return list(reversed(ordered))
    if sort_by not in _SORTABLE:
        raise _list_error(f"Invalid sort_by value. Must be one of {list(_SORTABLE)}")
    order = query.get("sort_order", "desc").lower()
    if order not in ("asc", "desc"):
        raise _list_error("Invalid sort_order value. Must be 'asc' or 'desc'")
    present = [r for r in rows if r.get(sort_by) is not None]
    missing = [r for r in rows if r.get(sort_by) is None]
    present.sort(key=lambda r: _sort_key(r.get(sort_by)), reverse=order == "desc")
    return present + missing


def list_keys(state: State, call: Call) -> Response:
    if not call.caller.is_admin and call.caller.user_id is not None:
        return _own_keys(state, call)
    if not call.caller.is_admin:
        message = (
            "You are not authorized to access this endpoint. "
            "No 'user_id' is associated with your API key."
        )
        raise proxy_error(403, message, "bad_request_error", "user_id")
    page = query_int(call.query, "page", 1, ge=1)
    size = query_int(call.query, "size", 10, ge=1, le=100)
    full = query_bool(call.query, "return_full_object", False)
    if _plain_listing(call.query):
        order = _default_order(state)
        window = [state.keys[t] for t in order[(page - 1) * size : page * size]]
        total = len(order)
    else:
        rows = _sorted(_filtered(_candidates(state, call.query.get("status")), call.query),
                       call.query)
        window, total = rows[(page - 1) * size : page * size], len(rows)
    keys: list[Any] = ([{**R.list_view(r), "litellm_budget_table": budgets.joined(state, r)}
                        for r in window] if full else [r["token"] for r in window])
    return 200, {
        "keys": keys,
        "total_count": total,
        "current_page": page,
        "total_pages": math.ceil(total / size),
    }


_PAGING_PARAMS = {"page", "size", "return_full_object"}


def _plain_listing(query: dict[str, str]) -> bool:
    """No filter, status or sort: the default order, which only adding or removing changes."""
    return set(query) <= _PAGING_PARAMS


def _default_order(state: State) -> list[str]:
    version, order = state.key_order
    if version != state.keys_version or len(order) != len(state.keys):
        rows = _sorted(list(state.keys.values()), {})
        order = [r["token"] for r in rows]
        state.key_order = (state.keys_version, order)
    return order


def _own_keys(state: State, call: Call) -> Response:
    """An internal user sees its own keys only (newest first, like the admin listing)."""
    page = query_int(call.query, "page", 1, ge=1)
    size = query_int(call.query, "size", 10, ge=1, le=100)
    rows = _sorted(own_keys(state, call.caller), {})
    window = rows[(page - 1) * size: page * size]
    full = query_bool(call.query, "return_full_object", False)
    keys: list[Any] = ([{**R.list_view(r), "litellm_budget_table": budgets.joined(state, r)}
                        for r in window] if full else [r["token"] for r in window])
    return 200, {"keys": keys, "total_count": len(rows), "current_page": page,
                 "total_pages": math.ceil(len(rows) / size)}
