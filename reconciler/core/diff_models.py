"""Model deployments in desired/ vs /model/info -> model changes. Pure.

/model/info hides `api_key` and masks other secret-looking params, so the tool keeps, in the
deployment's own model_info, a record of what it sent (env references only, never secrets).
The live value of a param is what the gateway shows when it shows it, else that record.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.changes import CreateModel, DeleteModel, UpdateModel, needs_recreate
from reconciler.core.desired import Estate, ModelDeployment
from reconciler.core.live import MARKER_FIELD, MODEL_RECORD_FIELD, LiveModel, marker_for
from reconciler.core.plan import PlanInputs, Untouched

_MASK = "****"


def model_record(model: ModelDeployment) -> dict[str, Any]:
    return {"litellm_params": dict(model.litellm_params), "info_keys": sorted(model.model_info)}


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


def diff_models(estate: Estate, models: tuple[LiveModel, ...], acc: PlanInputs) -> list[str]:
    """Add model changes and untouched models to `acc`; return conflicts that forbid a plan."""
    scope = estate.settings.scope
    live_by_id = {m.id: m for m in models}
    conflicts = []
    for model in estate.models:
        live = live_by_id.pop(model.id, None)
        if live is None:
            acc.changes.append(CreateModel(target=model.id, after=model_spec(model, scope)))
        elif live.marker != marker_for(scope):
            conflicts.append(
                f"model {model.id!r}: that id belongs to {_owner(live)}; choose another id"
            )
        else:
            acc.changes.extend(_diff_model(model, live, scope))
    for live in live_by_id.values():
        if live.marker == marker_for(scope):
            acc.changes.append(
                DeleteModel(
                    target=live.id,
                    before={"model_name": live.model_name},
                    reason="removed from desired/",
                )
            )
        else:
            acc.untouched.append(_untouched(live))
    config_names = {m.model_name for m in models if not m.db_model}
    for name in sorted(estate.config_models - config_names):
        acc.warnings.append(
            f"config_models lists {name!r} but the gateway's config has no such model"
        )
    return conflicts


def _owner(live: LiveModel) -> str:
    if not live.db_model:
        return "the gateway's config.yaml"
    return f"another scope ({live.marker})" if live.marker else "a model this tool did not create"


def _untouched(live: LiveModel) -> Untouched:
    if not live.db_model:
        # Config ids are long hashes; the model name is what people know them by.
        return Untouched("config_model", live.model_name, f"(id {live.id[:12]}...)")
    if live.marker is None:
        return Untouched("unmanaged_model", live.id, live.model_name)
    return Untouched("other_scope_model", live.id, f"{live.model_name} ({live.marker})")


def _diff_model(model: ModelDeployment, live: LiveModel, scope: str) -> list[UpdateModel]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if live.model_name != model.model_name:
        before["model_name"], after["model_name"] = live.model_name, model.model_name
    params = _section_diff(
        _effective_params(live), live.record.get("litellm_params", {}), model.litellm_params
    )
    info_keys = set(live.record.get("info_keys", [])) | set(model.model_info)
    info = _section_diff(live.model_info, dict.fromkeys(info_keys), model.model_info)
    for name, (was, will) in (("litellm_params", params), ("model_info", info)):
        if will or was:
            before[name], after[name] = was, will
    if not after:
        return []
    spec = model_spec(model, scope)
    recreate = needs_recreate(after)
    reason = "LiteLLM cannot unset a setting in place: re-created" if recreate else None
    return [UpdateModel(target=model.id, before=before, after=after, spec=spec, reason=reason)]


def _effective_params(live: LiveModel) -> dict[str, Any]:
    recorded = live.record.get("litellm_params", {})
    shown = {k: v for k, v in live.litellm_params.items() if not _masked(v)}
    return {**recorded, **{k: v for k, v in shown.items() if k in recorded}}


def _masked(value: Any) -> bool:
    return isinstance(value, str) and _MASK in value


def _section_diff(
    live: dict[str, Any], previously: dict[str, Any], desired: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compare the keys desired/ declares now or declared before; None means absent."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in sorted(set(previously) | set(desired)):
        have, want = live.get(name), desired.get(name)
        if have != want:
            before[name], after[name] = have, want
    return before, after
