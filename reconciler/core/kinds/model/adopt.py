"""Adopting a deployment the tool did not create: the marker and the record stamped in its
model_info with one PATCH, secret params left as the gateway holds them. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import ModelDeployment
from reconciler.core.input.secrets import ENV_REFERENCE, is_secret_name
from reconciler.core.kinds.model.live import KIND, LiveModel
from reconciler.core.kinds.model.spec import model_spec


def adopt_model(model: ModelDeployment, live: LiveModel, scope: str) -> Change:
    """Stamp the marker and the record in model_info; non-secret fields desired/ declares
    differently are changed in the same PATCH. Secret params are not sent: /model/info hides
    them, so the deployment keeps the value it has until desired/ changes the reference."""
    ignored = set(model.ignore_fields)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if live.model_name != model.model_name:
        before["model_name"], after["model_name"] = live.model_name, model.model_name
    params = {
        name: value
        for name, value in model.litellm_params.items()
        if f"litellm_params.{name}" not in ignored
        and not _secret(name, value)
        and live.litellm_params.get(name) != value
    }
    info = {
        name: value
        for name, value in model.model_info.items()
        if f"model_info.{name}" not in ignored and live.model_info.get(name) != value
    }
    for section, values, shown in (
        ("litellm_params", params, live.litellm_params),
        ("model_info", info, live.model_info),
    ):
        if values:
            before[section] = {name: shown.get(name) for name in values}
            after[section] = values
    # The stamp itself, so the plan shows what adoption does.
    before.setdefault("model_info", {})[MARKER_FIELD] = None
    after.setdefault("model_info", {})[MARKER_FIELD] = marker_for(scope)
    return Change(
        KIND, Verb.ADOPT, model.id,
        before=before,
        after=after,
        spec=model_spec(model, scope),
        reason="adopted: secret params keep their live value",
    )


def _secret(name: str, value: Any) -> bool:
    return bool(is_secret_name(name)) or str(value).startswith(ENV_REFERENCE)
