"""Internal users and what they may do with their own keys, as the real proxy allows it.

Recorded from LiteLLM 1.108.7 (tests/recorded/users/): an internal user may create keys for
itself only, with any alias and metadata; the proxy records the caller as `created_by` and
`updated_by` whatever the body says. It may update a key it both created and owns (never one
an admin created, even for it), lists its own keys only, and may not add models. A user whose
role is proxy_admin is an admin like the master key, under its own user id.
"""

from __future__ import annotations

from typing import Any

from .context import Caller
from .errors import auth_wrapped, internal_wrapped
from .keyrows import ADMIN_USER_ID, Row
from .state import State

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


def own_keys(state: State, caller: Caller) -> list[Row]:
    return [r for r in state.keys.values() if r.get("user_id") == caller.user_id]
