"""Internal users and what they may do with their own keys, as the real proxy allows it.

Recorded from LiteLLM 1.108.7 (tests/recorded/users/): an internal user may create keys for
itself only, with any alias and metadata; the proxy records the caller as `created_by` and
`updated_by` whatever the body says. It may update a key it both created and owns (never one
an admin created, even for it), lists its own keys only, and may not add models. A user whose
role is proxy_admin is an admin like the master key, under its own user id.
"""

from __future__ import annotations

import math
from typing import Any

from .context import Call, Caller, Response
from .errors import auth_wrapped, internal_wrapped, proxy_error
from .keyrows import ADMIN_USER_ID, Row
from .state import State
from .validate import body_object, check_types, query_int

ROLES = ("proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer")
# Admin routes an internal user's own key may call (the handler then applies its rules).
USER_ROUTES = frozenset({"/key/generate", "/key/update", "/model/new"})


def caller_for(state: State, row: Row) -> Caller | None:
    """The caller a virtual key stands for when it belongs to a known user, else None."""
    user = state.users.get(str(row.get("user_id")))
    if user is None:
        return None
    admin = user["user_role"] == "proxy_admin"
    return Caller(is_admin=admin, token=row["token"], user_id=user["user_id"],
                  role=user["user_role"])


def identity(caller: Caller) -> str:
    """What the proxy writes as created_by / updated_by."""
    return caller.user_id or ADMIN_USER_ID


def check_generate(caller: Caller, body: dict[str, Any]) -> None:
    if caller.is_admin or caller.user_id is None:
        return
    wanted = body.get("user_id")
    if wanted is not None and wanted != caller.user_id:
        raise internal_wrapped(403, "User can only create keys for themselves. Got "
                                    f"user_id={wanted}, Your ID={caller.user_id}")
    body["user_id"] = caller.user_id


def check_update(caller: Caller, row: Row) -> None:
    if caller.is_admin:
        return
    if row.get("created_by") == caller.user_id and row.get("user_id") == caller.user_id:
        return
    raise auth_wrapped(403, repr({"error": "Only proxy admins, team admins, or org admins can "
                                  f"call /key/update. user_role={caller.role}, "
                                  f"user_id={caller.user_id}"}))


def check_model_new(caller: Caller) -> None:
    if not caller.is_admin:
        raise auth_wrapped(403, repr({"error": "User does not have permission to make this "
                                      f"model call. Your role={caller.role}. You can only make "
                                      "model calls if you are a PROXY_ADMIN or if you are a "
                                      "team admin, by specifying a team_id in the model_info."}))


def user_new(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, {"user_id": "str", "user_role": "str", "user_alias": "str"})
    user_id = str(body.get("user_id") or f"user-{len(state.users) + 1}")
    role = str(body.get("user_role") or "internal_user")
    if role not in ROLES:
        raise proxy_error(400, f"Invalid user_role={role}", "bad_request_error", "user_role")
    if user_id in state.users:
        raise proxy_error(400, f"User with id {user_id} already exists", "bad_request_error",
                          "user_id")
    state.users[user_id] = {"user_id": user_id, "user_role": role,
                            "user_alias": body.get("user_alias"), "metadata": {}, "teams": []}
    return 200, {"user_id": user_id, "user_role": role, "key": "", "models": [],
                 "metadata": {}, "teams": []}


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
    return 200, len(gone)


def own_keys(state: State, caller: Caller) -> list[Row]:
    return [r for r in state.keys.values() if r.get("user_id") == caller.user_id]
