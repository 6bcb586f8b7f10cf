"""`reconciler import` for models: each DB deployment becomes a model with `adopt: true`;
config.yaml deployments become config_models. Secrets are never written: /model/info hides
`api_key` and masks other secrets, so each such param is left out of `litellm_params` and
listed in `ignore_fields`: kept as the gateway holds it, never compared or written, and a
change that would re-create the deployment (and so drop it) is refused. The imported tree
validates and plans as it is, with no placeholder to fill in. Pure."""

from __future__ import annotations

import re
from typing import Any

from reconciler.core.engine.imported import ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.input.secrets import ENV_REFERENCE, is_secret_name
from reconciler.core.kinds.model.live import LiveModel, models_of

# Params the proxy adds to every deployment it shows; nobody declared them.
SERVER_PARAMS = {
    "use_xai_oauth": False,
    "use_litellm_proxy": False,
    "use_in_pass_through": False,
    "allow_client_keepalive_override": False,
    "merge_reasoning_content_in_choices": False,
}
# model_info the proxy fills in itself (bookkeeping and LiteLLM's cost map).
_SERVER_INFO = {
    "id", "db_model", "member_auto_router", "blocked", "access_via_team_ids", "direct_access",
    "pricing_overrides", "key", "mode", "litellm_provider", "supported_openai_params",
    "managed_by", "reconciler", "tpm", "rpm", "output_vector_size", "tiered_pricing",
}  # fmt: skip
_SERVER_INFO_PATTERN = re.compile(r"(cost|^max_.*tokens$|^supports_|pricing|^search_context)")


def import_models(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    models = models_of(live)
    marker = marker_for(existing.settings.scope)
    declared_ids = {m.id for m in existing.models}
    config = sorted({m.model_name for m in models if not m.db_model} - existing.config_models)
    out.config_models = config
    out.listed += [f"config.yaml model {name} (read-only)" for name in config]
    for live in sorted((m for m in models if m.db_model), key=lambda m: m.id):
        if not wanted(live.id, live.model_name) or live.id in declared_ids:
            continue
        if live.marker not in (None, marker):
            out.listed.append(f"model of another scope {live.id} ({live.marker})")
            continue
        out.models.append(_model(live, marker, out))


def _model(live: LiveModel, marker: str, out: ImportResult) -> dict[str, Any]:
    recorded = live.record.get("litellm_params", {})
    params: dict[str, Any] = {}
    kept: list[str] = []
    for name, value in {**live.litellm_params, **recorded}.items():
        if SERVER_PARAMS.get(name, object()) == value or value is None:
            continue
        if _unreadable(name, value):
            kept.append(name)
        else:
            params[name] = value
    if "api_key" not in params and "api_key" not in kept:
        # /model/info drops api_key: whether the deployment has one cannot be read back, so
        # it is kept whatever it is (a deployment without one loses nothing by that).
        kept.append("api_key")
    info = {
        k: v
        for k, v in live.model_info.items()
        if v is not None and k not in _SERVER_INFO and not _SERVER_INFO_PATTERN.search(k)
    }
    data: dict[str, Any] = {"id": live.id, "model_name": live.model_name, "litellm_params": params}
    if info:
        data["model_info"] = info
    if kept:
        kept.sort()
        data["ignore_fields"] = [f"litellm_params.{name}" for name in kept]
        out.kept_secrets += [f"model {live.id}: litellm_params.{name}" for name in kept]
    if live.marker != marker:
        data["adopt"] = True
    return data


def _unreadable(name: str, value: Any) -> bool:
    """A secret the gateway shows masked, or under a secret name: not its real value."""
    if isinstance(value, str) and value.startswith(ENV_REFERENCE):
        return False  # a reference the tool wrote (its record) is no secret
    masked = isinstance(value, str) and "*" * 4 in value
    return masked or (bool(is_secret_name(name)) and not isinstance(value, bool))
