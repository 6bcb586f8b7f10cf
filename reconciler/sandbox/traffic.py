"""Serving a chat request like the real router: deployments of the group, then its fallbacks.

A deployment whose `api_base` is on this machine (127.0.0.1 / localhost) gets the request
forwarded, so tests can put a fake OpenAI-compatible upstream behind the sandbox exactly as
behind the real proxy; anything else is answered from `mock_response` or a canned text (the
sandbox never reaches the internet). A 429, 5xx or 529 answer moves on to the next deployment,
then to the groups `router_settings.fallbacks` lists. Prices come from the deployment's
`input_cost_per_token` / `output_cost_per_token`, else a flat sandbox price.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from . import modelrows as M
from .state import State

_CANNED = "This is a response from the LiteLLM sandbox gateway."
_FLAT_COST_PER_TOKEN = 4.7e-07
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_RETRYABLE = (429, 500, 502, 503, 504, 529)


@dataclass(frozen=True)
class Deployment:
    id: str
    group: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Served:
    deployment: Deployment
    reply: dict[str, Any]
    fallbacks: int

    @property
    def cost(self) -> float:
        usage = self.reply.get("usage") or {}
        params = self.deployment.params
        prompt_price = params.get("input_cost_per_token", _FLAT_COST_PER_TOKEN)
        completion_price = params.get("output_cost_per_token", _FLAT_COST_PER_TOKEN)
        return (int(usage.get("prompt_tokens") or 0) * float(prompt_price)
                + int(usage.get("completion_tokens") or 0) * float(completion_price))


class UpstreamFailed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def deployments(state: State, group: str) -> list[Deployment]:
    found = [Deployment(str(m["model_info"]["id"]), group, dict(m["litellm_params"]))
             for m in state.config_models if m["model_name"] == group]
    found += [Deployment(model_id, group, M.decrypt_params(m["litellm_params"]))
              for model_id, m in state.db_models.items()
              if m["model_name"] == group and not m.get("blocked")]
    return found


def fallback_groups(state: State, group: str) -> list[str]:
    for entry in state.router_settings.get("fallbacks") or []:
        if isinstance(entry, dict) and group in entry:
            return [str(g) for g in entry[group] or []]
    return []


def serve(state: State, group: str, body: dict[str, Any]) -> Served:
    """The first deployment that answers, trying the group's fallbacks in order."""
    last = UpstreamFailed(500, f"No deployments available for selected model={group}")
    for attempt, name in enumerate([group, *fallback_groups(state, group)]):
        for deployment in deployments(state, name):
            try:
                return Served(deployment, _complete(deployment, body), attempt)
            except UpstreamFailed as exc:
                last = exc
    raise last


def _complete(deployment: Deployment, body: dict[str, Any]) -> dict[str, Any]:
    base = str(deployment.params.get("api_base") or "")
    if deployment.params.get("mock_response") or not _is_local(base):
        content = str(deployment.params.get("mock_response") or _CANNED)
        tokens = len(content.split())
        return {"id": f"chatcmpl-{uuid.uuid4()}", "created": int(time.time()),
                "model": deployment.group, "object": "chat.completion",
                "choices": [{"finish_reason": "stop", "index": 0,
                             "message": {"content": content, "role": "assistant"}}],
                "usage": {"completion_tokens": tokens, "prompt_tokens": 8,
                          "total_tokens": 8 + tokens}}
    return _forward(base, deployment, body)


def _is_local(base: str) -> bool:
    return urllib.parse.urlsplit(base).hostname in _LOCAL_HOSTS


def _forward(base: str, deployment: Deployment, body: dict[str, Any]) -> dict[str, Any]:
    model = str(deployment.params.get("model", "")).split("/", 1)[-1]
    payload = json.dumps({**body, "model": model}).encode()
    request = urllib.request.Request(
        base.rstrip("/") + "/chat/completions", data=payload, method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        status = exc.code if exc.code in _RETRYABLE else 500
        raise UpstreamFailed(status, f"upstream answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise UpstreamFailed(500, f"upstream unreachable: {exc}") from None
