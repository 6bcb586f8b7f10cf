"""POST /config/update and GET /get/config/callbacks (router_settings and fallbacks, §4)."""

from __future__ import annotations

import copy
from typing import Any

from .context import Call, Response
from .errors import auth_wrapped, validation_error
from .state import State
from .validate import body_object

# The live router's `get_settings()` as the real proxy returns it with nothing configured.
ROUTER_DEFAULTS: dict[str, Any] = {
    "routing_strategy_args": {}, "routing_strategy": "simple-shuffle", "allowed_fails": 3,
    "cooldown_time": 5, "num_retries": 2, "timeout": 6000.0, "retry_after": 0,
    "fallbacks": None, "context_window_fallbacks": None, "model_group_retry_policy": {},
    "retry_policy": None, "model_group_alias": {}, "enable_weighted_failover": False,
    "enable_tag_filtering": False, "tag_routing_prefix": "",
    "fallback_on_unsupported_params": True, "routing_groups": [],
}
# Router settings /config/update accepts (Router.__init__ args minus a few, constants.py).
SUPPORTED_ROUTER_SETTINGS = frozenset({
    *ROUTER_DEFAULTS, "content_policy_fallbacks", "default_fallbacks", "max_fallbacks",
    "stream_timeout", "max_retries", "default_max_parallel_requests", "default_litellm_params",
    "enable_pre_call_checks", "tag_filtering_match_any", "allowed_fails_policy",
    "disable_cooldowns", "cache_responses", "cache_kwargs", "caching_groups", "client_ttl",
    "polling_interval", "provider_budget_config", "alerting_config", "router_general_settings",
    "optional_pre_call_checks", "model_group_affinity_config", "deployment_affinity_ttl_seconds",
    "redis_host", "redis_port", "redis_password", "redis_url", "set_verbose", "debug_level",
    "assistants_config", "search_tools", "default_priority", "weights",
})
_SECTIONS = ("router_settings", "general_settings", "litellm_settings", "environment_variables")
_ALERTS: list[dict[str, Any]] = [
    {"name": "email", "variables": {
        "SMTP_HOST": None, "SMTP_PORT": "587", "SMTP_TLS": "True", "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None, "SMTP_SENDER_EMAIL": None, "TEST_EMAIL_ADDRESS": None,
        "EMAIL_LOGO_URL": None, "EMAIL_SUPPORT_CONTACT": None}},
    {"name": "ms_teams", "variables": {"MS_TEAMS_WEBHOOK_URL": None}},
]
# A two-entry excerpt of the real (long) catalogue; nothing in a reconciler reads it.
_AVAILABLE_CALLBACKS: dict[str, Any] = {
    "langfuse": {"litellm_callback_name": "langfuse", "ui_callback_name": "Langfuse",
                 "litellm_callback_params": ["LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY",
                                             "LANGFUSE_HOST"]},
    "datadog": {"litellm_callback_name": "datadog", "ui_callback_name": "Datadog",
                "litellm_callback_params": ["DD_API_KEY", "DD_SITE"]},
}


def _section(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise validation_error(
            "model_attributes_type", ["body", name],
            "Input should be a valid dictionary or object to extract fields from",
        )
    return value


def config_update(state: State, call: Call) -> Response:
    body = body_object(call.body)
    sections = {name: _section(body, name) for name in _SECTIONS}
    router = sections.pop("router_settings")
    if router is not None:
        unsupported = [k for k in router if k not in SUPPORTED_ROUTER_SETTINGS]
        if unsupported:
            detail = {"error": f"Unsupported router settings: {', '.join(unsupported)} "
                               "are not valid router settings"}
            raise auth_wrapped(400, repr(detail))
        # Shallow merge; a null can never clear a stored value (it is dropped).
        state.router_settings.update({k: copy.deepcopy(v) for k, v in router.items()
                                      if v is not None})
    for name, values in sections.items():
        if values is not None:
            state.sections.setdefault(name, {}).update(copy.deepcopy(values))
    return 200, {"message": "Config updated successfully"}


def live_router_settings(state: State) -> dict[str, Any]:
    return {k: copy.deepcopy(state.router_settings.get(k, v)) for k, v in ROUTER_DEFAULTS.items()}


def config_callbacks(state: State, call: Call) -> Response:
    return 200, {
        "status": "success",
        "callbacks": [],
        "alerts": copy.deepcopy(_ALERTS),
        "active_alerting_destinations": [],
        "router_settings": live_router_settings(state),
        "available_callbacks": copy.deepcopy(_AVAILABLE_CALLBACKS),
    }
