"""/chat/completions: access checks, then traffic.serve (deployments, fallbacks), spend, logs.

It never calls an LLM: a deployment answers from `mock_response`, a canned text, or a fake
upstream on 127.0.0.1 (see traffic.py). Every request, served or refused, leaves a spend log
row like the real proxy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import spendlogs, traffic
from .auth import extract_key
from .context import Call, Response
from .errors import ApiError, proxy_error
from .state import State
from .util import fmt_offset, hash_token
from .util import now as utc_now
from .validate import body_object, check_types, require


def _check_access(state: State, call: Call, model: str) -> None:
    row = state.keys.get(call.caller.token or "")
    allowed = (row or {}).get("models") or []
    if allowed and model not in allowed:
        message = (f"The requested model '{model}' is not available for this API key, or the "
                   "model name is invalid. Check the models available to you and try again.")
        raise proxy_error(403, message, "key_model_access_denied", "model")
    budget = (row or {}).get("max_budget")
    spend = float((row or {}).get("spend") or 0.0)
    if isinstance(budget, int | float) and spend >= budget:
        # As the real proxy (1.108.7) answers once a key's spend reached its max_budget.
        name = f"{row.get('key_alias')} ({row.get('key_name')})" if row else "?"
        message = (f"Budget has been exceeded! Key={name} Current cost: {spend}, "
                   f"Max budget: {budget}")
        raise proxy_error(422, message, "budget_exceeded", None)


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
    if not traffic.deployments(state, model):
        raise _invalid_model(model)
    try:
        served = traffic.serve(state, model, body)
    except traffic.UpstreamFailed as exc:
        raise proxy_error(exc.status, f"litellm.APIError: {exc}", "None", None) from None
    _record_spend(state, call, served.cost)
    token = call.caller.token or ""
    usage = {k: int(v) for k, v in (served.reply.get("usage") or {}).items()
             if isinstance(v, int)}
    spendlogs.log_request(
        state, token=token, alias=(state.keys.get(token) or {}).get("key_alias"), asked=model,
        served=served.deployment.group, model_id=served.deployment.id,
        model=str(served.deployment.params.get("model", "")),
        api_base=str(served.deployment.params.get("api_base") or ""), usage=usage,
        spend=served.cost, request_id=served.reply.get("id"), fallbacks=served.fallbacks,
        team_id=(state.keys.get(token) or {}).get("team_id"))
    return 200, {**served.reply, "model": served.reply.get("model") or model}


def log_refused(state: State, headers: Mapping[str, str], body: Any, error: ApiError) -> None:
    """A refused LLM request (bad or blocked key, model not allowed) is logged as a failure."""
    key = extract_key(headers)
    if not key:
        return
    token = hash_token(key) if key.startswith("sk-") else key
    model = str(body.get("model") or "") if isinstance(body, dict) else ""
    message = str((error.body.get("error") or {}).get("message") or error.body) \
        if isinstance(error.body, dict) else str(error.body)
    spendlogs.log_request(
        state, token=token, alias=(state.keys.get(token) or {}).get("key_alias"), asked=model,
        served=model, model_id="", model="", api_base="",
        usage={}, spend=0, request_id=None, fallbacks=0, error=message,
        team_id=(state.keys.get(token) or {}).get("team_id"))


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
        team = state.teams.get(str(row.get("team_id")))
        if team is not None:  # the real proxy counts a team key's spend on its team too
            team["spend"] = team["spend"] + cost
    for token in state.pending_active:
        if token in state.keys:
            state.keys[token]["last_active"] = stamp
    state.pending_active.clear()
