"""Model deployments in desired/ vs /model/info -> model changes. Pure.

/model/info hides `api_key` and masks other secret-looking params, so the tool keeps, in the
deployment's own model_info, a record of what it sent (env references only, never secrets).
The live value of a param is what the gateway shows when it shows it, else that record.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.adopt import adopt_model
from reconciler.core.changes import CreateModel, DeleteModel, UpdateModel, needs_recreate
from reconciler.core.input.desired import Estate, ModelDeployment
from reconciler.core.live import MARKER_FIELD, MODEL_RECORD_FIELD, LiveModel, marker_for
from reconciler.core.plan import PlanInputs, Untouched
from reconciler.core.stamps import digest, is_drift, model_content

_MASK = "****"


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


def diff_models(estate: Estate, models: tuple[LiveModel, ...], acc: PlanInputs) -> list[str]:
    """Add model changes and untouched models to `acc`; return conflicts that forbid a plan."""
    scope = estate.settings.scope
    live_by_id = {m.id: m for m in models}
    conflicts = []
    for model in estate.models:
        live = live_by_id.pop(model.id, None)
        if live is None:
            acc.changes.append(CreateModel(target=model.id, after=model_spec(model, scope)))
        elif live.db_model and live.marker is None and model.adopt:
            acc.changes.append(adopt_model(model, live, scope))
        elif live.marker != marker_for(scope):
            conflicts.append(_conflict(model, live))
        else:
            acc.changes.extend(_diff_model(model, live, scope, conflicts))
    for live in live_by_id.values():
        if live.marker == marker_for(scope) and live.record.get("protected") is True:
            acc.warnings.append(
                f"model {live.id!r} is protected: it stays although it left desired/; "
                "set protected: false and apply before removing it"
            )
        elif live.marker == marker_for(scope):
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


def _conflict(model: ModelDeployment, live: LiveModel) -> str:
    message = f"model {model.id!r}: that id belongs to {_owner(live)}; choose another id"
    if live.db_model and live.marker is None:
        message += " or adopt it with `adopt: true` (or run `reconciler import`)"
    return message


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


def _diff_model(
    model: ModelDeployment, live: LiveModel, scope: str, conflicts: list[str]
) -> list[UpdateModel]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if live.model_name != model.model_name:
        before["model_name"], after["model_name"] = live.model_name, model.model_name
    ignored = set(model.ignore_fields)
    params = _section_diff(
        _effective_params(live),
        live.record.get("litellm_params", {}),
        model.litellm_params,
        {n.removeprefix("litellm_params.") for n in ignored},
    )
    info_keys = set(live.record.get("info_keys", [])) | set(model.model_info)
    info = _section_diff(
        live.model_info,
        dict.fromkeys(info_keys),
        model.model_info,
        {n.removeprefix("model_info.") for n in ignored},
    )
    for name, (was, will) in (("litellm_params", params), ("model_info", info)):
        if will or was:
            before[name], after[name] = was, will
    spec = model_spec(model, scope)
    recorded = live.record.get("sha256")
    if not after and recorded in (None, spec["model_info"][MODEL_RECORD_FIELD]["sha256"]):
        return []
    recreate = needs_recreate(after)
    if recreate and live.record.get("protected") is True:
        conflicts.append(
            f"model {model.id!r} is protected and removing a setting re-creates it "
            "(delete + create): set protected: false first, or keep the setting"
        )
        return []
    reason = "LiteLLM cannot unset a setting in place: re-created" if recreate else None
    if not after:
        reason = "records what desired/ now declares (nothing else changes)"
    drift = is_drift(recorded, live_digest(live, model.ignore_fields))
    return [
        UpdateModel(
            target=model.id, before=before, after=after, spec=spec, reason=reason, drift=drift
        )
    ]


def _effective_params(live: LiveModel) -> dict[str, Any]:
    recorded = live.record.get("litellm_params", {})
    shown = {k: v for k, v in live.litellm_params.items() if not _masked(v)}
    return {**recorded, **{k: v for k, v in shown.items() if k in recorded}}


def _masked(value: Any) -> bool:
    return isinstance(value, str) and _MASK in value


def _section_diff(
    live: dict[str, Any],
    previously: dict[str, Any],
    desired: dict[str, Any],
    ignored: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compare the keys desired/ declares now or declared before, except ignored ones; None
    means absent."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in sorted((set(previously) | set(desired)) - ignored):
        have, want = live.get(name), desired.get(name)
        if have != want:
            before[name], after[name] = have, want
    return before, after
