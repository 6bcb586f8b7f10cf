"""/user/new|update|delete|info|list as LiteLLM 1.108.7 answers them (tests/recorded/teams/).

An update of an unknown user creates it (an upsert); a delete answers the number of users
removed; /user/list pages 1..100 a page; info of an unknown user is a 404.
"""

from __future__ import annotations

import math
from typing import Any

from .context import Call, Response
from .errors import proxy_error
from .state import State
from .users import ROLES
from .util import fmt_offset, now
from .validate import body_object, check_types, query_int

_FIELDS = {"user_id": "str", "user_email": "str", "user_role": "str", "user_alias": "str",
           "metadata": "dict", "max_budget": "number"}


def new_user_row(user_id: str, role: str | None = "internal_user") -> dict[str, Any]:
    stamp = fmt_offset(now())
    return {"user_id": user_id, "user_alias": None, "team_id": None, "organization_id": None,
            "teams": [], "user_role": role, "max_budget": None, "spend": 0.0,
            "user_email": None, "models": [], "metadata": {}, "max_parallel_requests": None,
            "tpm_limit": None, "rpm_limit": None, "budget_duration": None,
            "created_at": stamp, "updated_at": stamp}


def _set(row: dict[str, Any], body: dict[str, Any]) -> None:
    role = body.get("user_role")
    if role is not None and role not in ROLES:
        raise proxy_error(400, f"Invalid user_role={role}", "bad_request_error", "user_role")
    row.update({n: body[n] for n in _FIELDS if n in body and n != "user_id"})
    row["updated_at"] = fmt_offset(now())


def user_new(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, _FIELDS)
    user_id = str(body.get("user_id") or f"user-{len(state.users) + 1}")
    if user_id in state.users:
        raise proxy_error(400, f"User with id {user_id} already exists", "bad_request_error",
                          "user_id")
    row = new_user_row(user_id, str(body.get("user_role") or "internal_user"))
    _set(row, body)
    state.users[user_id] = row
    return 200, {**row, "key": "", "teams": None}


def user_update(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, _FIELDS)
    user_id = str(body.get("user_id") or "")
    row = state.users.setdefault(user_id, new_user_row(user_id, None))
    _set(row, body)
    return 200, {"user_id": user_id, "data": dict(row)}


def user_info(state: State, call: Call) -> Response:
    user_id = call.query.get("user_id", "")
    row = state.users.get(user_id)
    if row is None:
        raise proxy_error(404, f"User {user_id} not found", "internal_server_error", None)
    teams = [dict(t) for t in state.teams.values()
             if any(m["user_id"] == user_id for m in t["members_with_roles"])]
    return 200, {"user_id": user_id, "user_info": dict(row), "keys": [], "teams": teams}


def user_list(state: State, call: Call) -> Response:
    page = query_int(call.query, "page", 1, ge=1)
    size = query_int(call.query, "page_size", 25, ge=1, le=100)
    role = call.query.get("role")
    users = [u for u in state.users.values() if role is None or u["user_role"] == role]
    window = users[(page - 1) * size: page * size]
    return 200, {"users": [dict(u) for u in window], "total": len(users), "page": page,
                 "page_size": size, "total_pages": math.ceil(len(users) / size)}


def user_delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, {"user_ids": "list"})
    gone = [u for u in body.get("user_ids") or [] if state.users.pop(str(u), None)]
    for team in state.teams.values():
        team["members_with_roles"] = [m for m in team["members_with_roles"]
                                      if m["user_id"] not in gone]
    return 200, len(gone)
