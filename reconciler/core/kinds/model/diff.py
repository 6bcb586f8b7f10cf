"""Model deployments in desired/ vs /model/info -> model changes. Pure.

/model/info hides `api_key` and masks other secret-looking params, so the tool keeps, in the
deployment's own model_info, a record of what it sent (env references only, never secrets).
The live value of a param is what the gateway shows when it shows it, else that record.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.diffing import field_changes
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.engine.stamps import is_drift
from reconciler.core.input.desired import Estate, ModelDeployment
from reconciler.core.input.secrets import is_secret_name
from reconciler.core.kinds.model.adopt import adopt_model
from reconciler.core.kinds.model.live import KIND, MODEL_RECORD_FIELD, LiveModel, models_of
from reconciler.core.kinds.model.spec import live_digest, model_spec, needs_recreate

_MASK = "****"


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    return diff_models(estate, models_of(live), acc)


def diff_models(estate: Estate, models: tuple[LiveModel, ...], acc: PlanInputs) -> list[str]:
    """Add model changes and untouched models to `acc`; return conflicts that forbid a plan."""
    scope = estate.settings.scope
    live_by_id = {m.id: m for m in models}
    conflicts = []
    for model in estate.models:
        live = live_by_id.pop(model.id, None)
        if live is None:
            acc.changes.append(Change(KIND, Verb.CREATE, model.id, after=model_spec(model, scope)))
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
                Change(
                    KIND, Verb.DELETE, live.id,
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
) -> list[Change]:
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
    kept = kept_params(model, live) if recreate else []
    if kept:
        conflicts.append(
            f"model {model.id!r}: removing a setting re-creates it (delete + create), and "
            f"{', '.join(f'litellm_params.{n}' for n in kept)} is kept as the gateway holds it "
            "(ignore_fields): a new deployment could not carry it. Declare it "
            "(api_key: os.environ/NAME) and drop its ignore_fields entry, or keep the setting"
        )
        return []
    reason = "LiteLLM cannot unset a setting in place: re-created" if recreate else None
    if not after:
        reason = "records what desired/ now declares (nothing else changes)"
    drift = is_drift(recorded, live_digest(live, model.ignore_fields))
    return [
        Change(
            KIND, Verb.UPDATE, model.id, before=before, after=after, spec=spec, reason=reason,
            drift=drift,
        )
    ]


def kept_params(model: ModelDeployment, live: LiveModel) -> list[str]:
    """Ignored params desired/ does not declare that the live deployment holds, or may hold
    unseen (a secret /model/info hides or masks): only the deployment has them."""
    kept = []
    for field in model.ignore_fields:
        name = field.removeprefix("litellm_params.")
        if name == field or name in model.litellm_params:
            continue
        shown = live.litellm_params.get(name)
        if is_secret_name(name) or _masked(shown) or shown is not None:
            kept.append(name)
    return kept


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
    names = sorted((set(previously) | set(desired)) - ignored)
    return field_changes({n: live.get(n) for n in names}, {n: desired.get(n) for n in names})
