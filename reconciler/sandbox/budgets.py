"""/budget/new|update|delete|info|list as LiteLLM 1.108.7 answers them (tests/recorded/teams/).

A duplicate id is a 400 in the `detail` shape; an update or a delete of an unknown id answers
200 with `null` and changes nothing; update is a merge patch where null unsets a field.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from .context import Call, Response
from .errors import detail_error
from .keyrows import ADMIN_USER_ID
from .state import State
from .util import fmt_offset, now
from .validate import body_object, check_types

LIMITS = {"max_budget": "number", "soft_budget": "number", "max_parallel_requests": "int",
          "tpm_limit": "int", "rpm_limit": "int", "tpd_limit": "int", "budget_duration": "str",
          "budget_id": "str"}
_EXTRA = {"model_max_budget": None, "budget_reset_at": None, "allowed_models": [],
          "temp_budget_increase": None, "temp_budget_expiry": None, "organization": None,
          "projects": None, "keys": None, "end_users": None, "tags": None,
          "model_access_groups": None, "team_membership": None,
          "organization_membership": None}


def _checked(call: Call) -> dict[str, Any]:
    body = body_object(call.body)
    check_types(body, LIMITS)
    for name in ("max_budget", "soft_budget"):
        value = body.get(name)
        if value is not None and (not math.isfinite(value) or value < 0):
            raise detail_error(400, {"error": f"{name} must be a non-negative finite number. "
                                              f"Received: {value}"})
    return body


def budget_new(state: State, call: Call) -> Response:
    body = _checked(call)
    budget_id = str(body.get("budget_id") or f"budget-{len(state.budgets) + 1}")
    if budget_id in state.budgets:
        raise detail_error(400, {"error": f"Budget with id '{budget_id}' already exists."})
    stamp = fmt_offset(now())
    row = {"budget_id": budget_id, **{n: body.get(n) for n in LIMITS if n != "budget_id"},
           **_EXTRA, "created_at": stamp, "created_by": ADMIN_USER_ID, "updated_at": stamp,
           "updated_by": ADMIN_USER_ID}
    state.budgets[budget_id] = row
    return 200, dict(row)


def budget_update(state: State, call: Call) -> Response:
    body = _checked(call)
    if body.get("budget_id") is None:
        raise detail_error(400, {"error": "budget_id is required"})
    row = state.budgets.get(str(body["budget_id"]))
    if row is None:
        return 200, None
    row.update({n: body[n] for n in LIMITS if n in body})
    row["updated_at"] = fmt_offset(now())
    return 200, dict(row)


def budget_info(state: State, call: Call) -> Response:
    body = body_object(call.body)
    wanted = body.get("budgets") or []
    if not wanted:
        raise detail_error(400, {"error": f"Specify list of budget id's to query. Passed in="
                                          f"{wanted}"})
    return 200, [dict(state.budgets[b]) for b in wanted if b in state.budgets]


def budget_list(state: State, call: Call) -> Response:
    return 200, [dict(row) for row in state.budgets.values()]


def budget_delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    row = state.budgets.pop(str(body.get("id")), None)
    return 200, row


def key_soft_budget(state: State, key: dict[str, Any], body: dict[str, Any], *,
                    created: bool) -> None:
    """A key's soft_budget lives in a budget row: /key/generate makes the key a row of its
    own (replacing any budget_id sent), /key/update sets it on the key's row, shared or not."""
    if "soft_budget" not in body:
        return
    value, row = body["soft_budget"], state.budgets.get(str(key.get("budget_id")))
    if row is not None and not created:
        row["soft_budget"] = None if value is None else float(value)
        return
    if value is None:
        return
    stamp = fmt_offset(now())
    budget_id = str(uuid.uuid4())
    state.budgets[budget_id] = {
        "budget_id": budget_id, **{n: None for n in LIMITS if n != "budget_id"},
        "soft_budget": float(value), **_EXTRA, "created_at": stamp, "created_by": ADMIN_USER_ID,
        "updated_at": stamp, "updated_by": ADMIN_USER_ID}
    key["budget_id"] = budget_id


def joined(state: State, key: dict[str, Any]) -> dict[str, Any] | None:
    """The key's budget row as /key/list joins it (litellm_budget_table)."""
    row = state.budgets.get(str(key.get("budget_id")))
    return dict(row) if row is not None else None
