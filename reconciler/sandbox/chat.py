"""A minimal /chat/completions so demos can show a key being allowed, refused or blocked.

It never calls an LLM: it answers the deployment's `mock_response`, or a canned text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from . import modelrows as M
from .auth import extract_key
from .context import Call, Response
from .errors import ApiError, proxy_error
from .state import State
from .util import fmt_offset, hash_token
from .util import now as utc_now
from .validate import body_object, check_types, require

_CANNED = "This is a response from the LiteLLM sandbox gateway."
# Flat sandbox price so spend visibly moves after traffic, like the real proxy's batch writer.
_COST_PER_TOKEN = 4.7e-07


def _deployments(state: State, name: str) -> list[dict[str, Any]]:
    found = [dict(m["litellm_params"]) for m in state.config_models if m["model_name"] == name]
    found += [M.decrypt_params(m["litellm_params"]) for m in state.db_models.values()
              if m["model_name"] == name and not m.get("blocked")]
    return found


def _check_access(state: State, call: Call, model: str) -> None:
    row = state.keys.get(call.caller.token or "")
    allowed = (row or {}).get("models") or []
    if allowed and model not in allowed:
        message = (f"The requested model '{model}' is not available for this API key, or the "
                   "model name is invalid. Check the models available to you and try again.")
        raise proxy_error(403, message, "key_model_access_denied", "model")


def _invalid_model(model: str) -> ApiError:
    message = (f"/chat/completions: Invalid model name passed in model={model}. "
               "Call `/v1/models` to view available models for your key.")
    error = proxy_error(400, message, "invalid_request_error", None)
    error.body["error"]["provider_specific_fields"] = {"error": message}
    return error


def chat_completions(state: State, call: Call) -> Response:
    body = body_object(call.body)
    model = require(body, "model")
    check_types(body, {"model": "str", "messages": "list"})
    _check_access(state, call, model)
    deployments = _deployments(state, model)
    if not deployments:
        raise _invalid_model(model)
    content = str(deployments[0].get("mock_response") or _CANNED)
    completion_tokens = len(content.split())
    _record_spend(state, call, (8 + completion_tokens) * _COST_PER_TOKEN)
    return 200, {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "created": int(time.time()),
        "model": model,
        "object": "chat.completion",
        "choices": [{"finish_reason": "stop", "index": 0,
                     "message": {"content": content, "role": "assistant"}}],
        "usage": {"completion_tokens": completion_tokens, "prompt_tokens": 8,
                  "total_tokens": 8 + completion_tokens},
    }


def touch_presented_key(state: State, headers: Mapping[str, str]) -> None:
    """LLM calls mark the key active even when they then fail (blocked, model denied).

    The real proxy writes `last_active`/`spend` in batches, so a failed call shows up only at
    the next flush; the sandbox flushes at the next successful LLM call (see _record_spend).
    """
    key = extract_key(headers)
    if key:
        state.pending_active.add(hash_token(key))


def _record_spend(state: State, call: Call, cost: float) -> None:
    stamp = fmt_offset(utc_now())
    row = state.keys.get(call.caller.token or "")
    if row is not None:
        row.update(spend=row["spend"] + cost, total_spend=row["total_spend"] + cost,
                   updated_at=stamp)
    for token in state.pending_active:
        if token in state.keys:
            state.keys[token]["last_active"] = stamp
    state.pending_active.clear()
