"""What the tool sends for a deployment, and the record it keeps of it in model_info. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.engine.stamps import digest
from reconciler.core.input.desired import ModelDeployment
from reconciler.core.kinds.model.live import MODEL_RECORD_FIELD, LiveModel
from reconciler.core.kinds.model.stamps import model_content


def model_record(model: ModelDeployment) -> dict[str, Any]:
    content = model_content(
        model.model_name,
        model.litellm_params,
        model.model_info,
        declared_params=model.litellm_params,
        info_keys=model.model_info,
        ignore=model.ignore_fields,
    )
    return {
        "litellm_params": dict(model.litellm_params),
        "info_keys": sorted(model.model_info),
        "sha256": digest(content),
        "protected": model.protected,
    }


def live_digest(live: LiveModel, ignore: list[str]) -> str:
    """The live deployment digested the way model_record digested what the tool sent."""
    return digest(
        model_content(
            live.model_name,
            live.litellm_params,
            live.model_info,
            declared_params=live.record.get("litellm_params", {}),
            info_keys=live.record.get("info_keys", []),
            ignore=ignore,
        )
    )


def model_spec(model: ModelDeployment, scope: str = "default") -> dict[str, Any]:
    """The /model/new body for a deployment (model_info carries the marker and the record)."""
    return {
        "model_name": model.model_name,
        "litellm_params": dict(model.litellm_params),
        "model_info": {
            **model.model_info,
            "id": model.id,
            MARKER_FIELD: marker_for(scope),
            MODEL_RECORD_FIELD: model_record(model),
        },
    }


def needs_recreate(after: dict[str, Any]) -> bool:
    """True when a param or model_info key goes away: PATCH ignores nulls, so only a fresh
    deployment (same id) can drop it."""
    return any(
        value is None
        for section in ("litellm_params", "model_info")
        for value in (after.get(section) or {}).values()
    )


def recreates(change: Change) -> bool:
    """A model update apply carries out as delete + create under the same id."""
    return change.verb is Verb.UPDATE and needs_recreate(change.after)
