"""Key endpoints: /key/generate, /key/info, /key/update, /key/block, /key/unblock, /key/delete.

Each check happens in the real proxy's order and with its wrapper's error shape (§1.3, §2).
"""

from __future__ import annotations

import copy
import math
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from . import budgets, users
from . import fields as F
from . import keyrows as R
from .context import Call, Response
from .errors import ApiError, auth_wrapped, internal_wrapped, proxy_error, validation_error
from .state import State
from .util import expires_from_duration, fmt_offset, hash_if_needed, is_valid_api_key, mask_short
from .util import now as utc_now
from .validate import body_object, check_types, require

KEY_BODY_TYPES: dict[str, str] = {
    "key": "str", "key_alias": "str", "duration": "str", "models": "list", "max_budget": "number",
    "metadata": "dict", "tpm_limit": "int", "rpm_limit": "int", "tpd_limit": "int",
    "max_parallel_requests": "int", "blocked": "bool", "tags": "list", "user_id": "str",
    "team_id": "str", "budget_duration": "str", "aliases": "dict", "config": "dict",
    "permissions": "dict", "model_max_budget": "dict", "allowed_routes": "list",
    "key_type": "str", "spend": "number", "soft_budget": "number",
}
_ENTERPRISE_MSG = (
    "This feature is only available for LiteLLM Enterprise users: {}. You must be a LiteLLM "
    "Enterprise user to use this feature. If you have a license please set `LITELLM_LICENSE` in "
    "your env. Get a 7 day trial key here: https://www.litellm.ai/enterprise#trial. \n"
    "Pricing: https://www.litellm.ai/#pricing"
)
_MIN_CUSTOM_KEY_LENGTH = 16
Wrap = Callable[[int, Any], ApiError]


def _update_wrap(status: int, detail: Any) -> ApiError:
    """/key/update's inline wrapper: HTTPException details become auth_error, param "None"."""
    return auth_wrapped(status, detail if isinstance(detail, str) else repr(detail))


def _check_budget(body: dict[str, Any], wrap: Wrap) -> None:
    budget = body.get("max_budget")
    if budget is not None and (math.isnan(budget) or math.isinf(budget) or budget < 0):
        msg = f"max_budget must be a non-negative finite number. Received: {float(budget)}"
        raise wrap(400, {"error": msg})


def _check_enterprise(body: dict[str, Any], wrap: Wrap) -> None:
    for name in F.ENTERPRISE_FIELDS:
        if body.get(name):
            raise wrap(403, {"error": _ENTERPRISE_MSG.format(name)})


def _check_alias_free(state: State, alias: str, own_token: str | None = None) -> None:
    """App-level uniqueness over *live* keys only; archived keys never collide (§2.1)."""
    if any(row["token"] != own_token for row in state.live_by_alias(alias)):
        msg = (
            f"Key with alias '{alias}' already exists. "
            "Unique key aliases across all keys are required."
        )
        raise proxy_error(400, msg, "bad_request_error", "key_alias")


def _check_custom_key(raw: str) -> None:
    if not raw.startswith("sk-"):
        msg = (
            "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. "
            f"Received: {mask_short(raw)}"
        )
        raise internal_wrapped(400, {"error": msg})
    if len(raw) < _MIN_CUSTOM_KEY_LENGTH:
        msg = (
            "Invalid key format. LiteLLM Virtual Key must be at least "
            f"{_MIN_CUSTOM_KEY_LENGTH} characters long."
        )
        raise internal_wrapped(400, {"error": msg})


def _apply_fields(row: R.Row, body: dict[str, Any], skip: frozenset[str] = frozenset()) -> None:
    """Merge-patch the request onto the row. Raises ValueError on a bad duration."""
    for name in F.COLUMN_FIELDS:
        if name not in body or name in skip:
            continue
        value = copy.deepcopy(body[name])
        if value is None and isinstance(R.default_for(name), list | dict):
            value = R.default_for(name)
        row[name] = float(value) if name in {"max_budget", "spend"} and value is not None else value
    for name in F.METADATA_BACKED:
        if body.get(name) is not None:
            row["metadata"][name] = copy.deepcopy(body[name])
    if "key_type" in body and "allowed_routes" not in body:
        row["allowed_routes"] = list(F.KEY_TYPE_ROUTES.get(body["key_type"] or "", []))
    _apply_durations(row, body)


def _apply_durations(row: R.Row, body: dict[str, Any]) -> None:
    start = utc_now()
    if "duration" in body:
        duration = body["duration"]
        never = duration is None or duration == "-1"
        row["expires"] = None if never else fmt_offset(expires_from_duration(duration, start))
    if "budget_duration" in body:
        budget = body["budget_duration"]
        reset = None if budget is None else fmt_offset(expires_from_duration(budget, start))
        row["budget_reset_at"] = reset


def generate(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, KEY_BODY_TYPES)
    _check_budget(body, internal_wrapped)
    _check_enterprise(body, internal_wrapped)
    users.check_generate(call.caller, body)
    if body.get("key_alias") is not None:
        _check_alias_free(state, body["key_alias"])
    raw = body.get("key")
    if raw is None:
        raw = "sk-" + secrets.token_urlsafe(16)
    else:
        _check_custom_key(raw)
    row = R.blank_row(raw, utc_now())
    # The caller, whatever the body says (created_by / updated_by are not request fields).
    row.update(created_by=users.identity(call.caller), updated_by=users.identity(call.caller))
    try:
        _apply_fields(row, body)
    except ValueError as exc:
        raise internal_wrapped(500, str(exc)) from None
    budgets.key_soft_budget(state, row, body, created=True)
    existing = state.keys.get(row["token"])
    if existing is not None:
        # Upstream upsert(update={}) bug: 200, response from the request, nothing persisted.
        row.update(created_at=existing["created_at"], updated_at=existing["updated_at"])
    else:
        state.add_key(row)
    return 200, R.generate_view(row, raw, body)


def info(state: State, call: Call) -> Response:
    passed = call.query.get("key")
    if passed is None:
        if call.caller.token is None:
            raise proxy_error(404, "Key not found in database", "not_found_error", "key")
        passed = call.caller.token
    token = hash_if_needed(passed)
    row = state.keys.get(token)
    archived = [r for r in state.deleted_keys if r.get("token") == token]
    if row is None and not archived:
        raise proxy_error(404, "Key not found in database", "not_found_error", "key")
    if not call.caller.is_admin and token != call.caller.token:
        raise internal_wrapped(403, {"error": "You are not allowed to access this key's info."})
    if row is not None:
        return 200, {"key": passed, "info": R.info_view(row, utc_now())}
    newest = max(archived, key=lambda r: r["deleted_at"])
    return 200, {"key": passed, "info": R.deleted_info_view(newest)}


def _select_for_update(state: State, body: dict[str, Any]) -> tuple[R.Row, str, bool]:
    """Returns (row, value to echo as `key`, selected_by_alias)."""
    if body.get("key") is not None:
        row = state.keys.get(hash_if_needed(body["key"]))
        if row is None:
            raise proxy_error(404, "Key not found.", "not_found_error", "key")
        return row, body["key"], False
    alias = body["key_alias"]
    rows = state.live_by_alias(alias)
    if not rows:
        msg = f"Key not found. No key with key_alias='{alias}'."
        raise proxy_error(404, msg, "not_found_error", "key_alias")
    if len(rows) > 1:
        msg = f"Multiple keys share key_alias='{alias}', so it cannot be used as an identifier."
        raise proxy_error(400, msg, "bad_request_error", "key_alias")
    return rows[0], rows[0]["token"], True


def update(state: State, call: Call) -> Response:
    body = body_object(call.body)
    if body.get("key") is None and body.get("key_alias") is None:
        raise validation_error(
            "value_error", ["body"], "Value error, either key or key_alias must be provided"
        )
    check_types(body, KEY_BODY_TYPES)
    _check_budget(body, _update_wrap)
    _check_enterprise(body, _update_wrap)
    row, echoed, by_alias = _select_for_update(state, body)
    users.check_update(call.caller, row)
    new_alias = body.get("key_alias")
    if not by_alias and new_alias is not None and new_alias != row.get("key_alias"):
        _check_alias_free(state, new_alias, own_token=row["token"])
    patched = copy.deepcopy(row)
    try:
        _apply_fields(patched, body, skip=frozenset({"key_alias"}) if by_alias else frozenset())
    except ValueError as exc:
        raise auth_wrapped(400, f"Authentication Error, {exc}") from None
    budgets.key_soft_budget(state, patched, body, created=False)
    stamp = fmt_offset(utc_now())
    patched.update(updated_at=stamp, settings_updated_at=stamp)
    state.keys[row["token"]] = patched
    return 200, R.update_view(patched, echoed)


def _set_blocked(state: State, call: Call, blocked: bool) -> R.Row:
    body = body_object(call.body)
    key = require(body, "key")
    check_types(body, {"key": "str"})
    if not is_valid_api_key(key):
        raise proxy_error(400, "Invalid key format.", "bad_request_error", "key")
    row = state.keys.get(hash_if_needed(key))
    if row is None:
        raise proxy_error(404, "Key not found.", "not_found_error", "key")
    stamp = fmt_offset(utc_now())
    row.update(blocked=blocked, updated_at=stamp, settings_updated_at=stamp)
    return row


def block(state: State, call: Call) -> Response:
    return 200, R.token_model_view(_set_blocked(state, call, True))


def unblock(state: State, call: Call) -> Response:
    return 200, R.unblock_view(_set_blocked(state, call, False))


def delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, {"keys": "list", "key_aliases": "list"})
    keys, aliases = body.get("keys"), body.get("key_aliases")
    if not keys and not aliases:
        raise validation_error(
            "value_error", ["body"],
            "Value error, At least one of 'keys' or 'key_aliases' must be provided.",
        )
    if keys:
        wanted = {hash_if_needed(str(k)) for k in keys}
        matched = [t for t in state.keys if t in wanted]
    else:
        matched = [t for t, row in state.keys.items() if row.get("key_alias") in aliases]
    if not matched:
        raise internal_wrapped(404, {"error": "No keys found"})
    deleted = utc_now()
    for token in matched:
        row = state.remove_key(token)
        state.deleted_keys.append(R.archived_row(row, str(uuid.uuid4()), deleted))
    return 200, {"deleted_keys": keys if keys else aliases}
