"""Model endpoints: /model/new, /model/info, /model/update, PATCH /model/{id}/update,
/model/delete. Only DB models are writable; config.yaml models answer 400 (§3)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from . import modelrows as M
from .context import Call, Response
from .errors import auth_wrapped, detail_error, generic_500, proxy_error
from .keyrows import ADMIN_USER_ID
from .state import State
from .users import check_model_new
from .util import fmt_offset
from .util import now as utc_now
from .validate import body_object, check_types, require

_MODEL_BODY_TYPES = {"model_name": "str", "litellm_params": "dict", "model_info": "dict",
                     "blocked": "bool"}


def _wrapped(status: int, detail: Any) -> Exception:
    """Inline model-endpoint wrapper: dict details become their repr, type auth_error."""
    return auth_wrapped(status, detail if isinstance(detail, str) else repr(detail))


def _config_ids(state: State) -> set[str]:
    return {m["model_info"]["id"] for m in state.config_models}


def _non_null(values: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in values.items() if v is not None}


def model_new(state: State, call: Call) -> Response:
    check_model_new(call.caller)
    body = body_object(call.body)
    check_types(body, _MODEL_BODY_TYPES)
    params = body.get("litellm_params")
    if params is not None:
        require(params, "model", ("body", "litellm_params"))
    if params is None or body.get("model_name") is None:
        # Observed live: the handler crashes before validation and the generic 500 has no code.
        raise generic_500()
    info = dict(body.get("model_info") or {})
    model_id = str(info.get("id") or uuid.uuid4())
    if model_id in state.db_models:
        raise _wrapped(500, {"error": "Failed to add model to db. Check your server logs for "
                                      "more details."})
    info.update(id=model_id)
    info.setdefault("db_model", False)
    info.setdefault("member_auto_router", False)
    stamp = fmt_offset(utc_now())
    row = {
        "model_id": model_id, "model_name": body["model_name"],
        "litellm_params": M.encrypt_params({**_non_null(params), **_flags_missing(params)}),
        "model_info": info, "blocked": bool(body.get("blocked") or False),
        "created_at": stamp, "created_by": ADMIN_USER_ID,
        "updated_at": stamp, "updated_by": ADMIN_USER_ID,
    }
    state.db_models[model_id] = row
    return 200, M.db_row_view(row)


def _flags_missing(params: dict[str, Any]) -> dict[str, bool]:
    return {k: v for k, v in M.DEFAULT_PARAM_FLAGS.items() if params.get(k) is None}


def _visible(state: State, call: Call) -> list[dict[str, Any]]:
    rows = [M.info_row(m["model_name"], m["litellm_params"], m["model_info"], False, False,
                       m["model_info"]["id"]) for m in state.config_models]
    for model_id, m in state.db_models.items():
        plain = M.decrypt_params(m["litellm_params"])
        rows.append(M.info_row(m["model_name"], plain, m["model_info"], True, m["blocked"],
                               model_id))
    if not call.caller.is_admin and call.caller.token in state.keys:
        allowed = state.keys[call.caller.token].get("models") or []
        if allowed:
            rows = [r for r in rows if r["model_name"] in allowed]
    return rows


def _alias_rows(state: State, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A router_settings.model_group_alias entry shows as one more row per deployment of its
    group, under the alias and with the deployment's own id, after every deployment row."""
    aliases = state.router_settings.get("model_group_alias") or {}
    return [{**copy.deepcopy(r), "model_name": alias} for alias, group in aliases.items()
            if isinstance(group, str) for r in rows if r["model_name"] == group]


def model_info(state: State, call: Call) -> Response:
    rows = _visible(state, call)
    wanted = call.query.get("litellm_model_id")
    if wanted is None:
        rows += _alias_rows(state, rows)
    else:
        rows = [r for r in rows if r["model_info"]["id"] == wanted]
        if not rows:
            raise detail_error(400, {"error": f"Model id = {wanted} not found on litellm proxy"})
    return 200, {"data": rows}


def _touch(row: dict[str, Any]) -> None:
    row["updated_at"] = fmt_offset(utc_now())
    row["updated_by"] = ADMIN_USER_ID


def model_update(state: State, call: Call) -> Response:
    """Legacy update: only litellm_params (merged) and model_name are written."""
    body = body_object(call.body)
    check_types(body, _MODEL_BODY_TYPES)
    if body.get("model_info") is None:
        raise auth_wrapped(400, "Authentication Error, model_info not provided")
    if body.get("litellm_params") is None:
        raise auth_wrapped(400, "Authentication Error, litellm_params not provided")
    model_id = body["model_info"].get("id")
    if model_id in _config_ids(state):
        raise _wrapped(400, {"error": "Can't edit model. Model in config. Store model in db via "
                                      "`/model/new`. to edit."})
    row = state.db_models.get(model_id) if isinstance(model_id, str) else None
    if row is None:
        raise auth_wrapped(400, "Authentication Error, model not found")
    # Observed live: stored params are rebuilt through LiteLLM_Params, dropping custom fields.
    kept = {k: v for k, v in row["litellm_params"].items() if k in M.KNOWN_PARAMS}
    row["litellm_params"] = {**kept, **M.encrypt_params(_non_null(body["litellm_params"]))}
    if body.get("model_name") is not None:
        row["model_name"] = body["model_name"]
    _touch(row)
    return 200, M.db_row_view(row)


def model_patch(state: State, call: Call) -> Response:
    model_id = call.path_params["model_id"]
    body = body_object(call.body)
    check_types(body, _MODEL_BODY_TYPES)
    row = state.db_models.get(model_id)
    if row is None and model_id in _config_ids(state):
        message = "Cannot edit config-based model. Store model in DB via /model/new first."
        raise proxy_error(400, message, "validation_error", None)
    if row is None:
        raise proxy_error(404, f"Model {model_id} not found on proxy.", "not_found_error", None)
    if body.get("litellm_params") is not None:
        new_params = M.encrypt_params(_non_null(body["litellm_params"]))
        row["litellm_params"] = {**row["litellm_params"], **new_params}
    if body.get("model_info") is not None:
        patch = _non_null(body["model_info"])
        # ModelInfo() invents a uuid when `id` is missing, and it lands in the stored blob.
        patch.setdefault("id", str(uuid.uuid4()))
        row["model_info"] = {**row["model_info"], **patch}
    if body.get("model_name") is not None:
        row["model_name"] = body["model_name"]
    if body.get("blocked") is not None:
        row["blocked"] = body["blocked"]
    _touch(row)
    return 200, M.db_row_view(row)


def model_delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    model_id = require(body, "id")
    check_types(body, {"id": "str"})
    if model_id not in state.db_models:
        raise _wrapped(400, {"error": f"Model with id={model_id} not found in db"})
    del state.db_models[model_id]
    return 200, {"message": f"Model: {model_id} deleted successfully"}
