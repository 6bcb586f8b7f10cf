"""The guard's rules for model deployments (see engine/guard.py for the promises). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for, owner
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.model.live import LiveModel, models_of

MODEL_FIELDS = frozenset({"model_name", "litellm_params", "model_info"})


@dataclass(frozen=True)
class ModelGuardContext:
    marker: str
    models: dict[str, LiveModel]  # by id

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> ModelGuardContext:
        return cls(marker_for(estate.settings.scope), {m.id: m for m in models_of(live)})


def _adopt_model(ctx: ModelGuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is None:
        return "no live model has that id"
    if not live.db_model or live.marker is not None:
        return f"only a model no scope manages can be adopted ({_modelowner(live)})"
    problem = _model_body(ctx, change, change.spec or {}, whole=True)
    return problem or _model_body(ctx, change, change.after, whole=False)


def _create_model(ctx: ModelGuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is not None:
        return f"a model with that id already exists ({_modelowner(live)})"
    return _model_body(ctx, change, change.after, whole=True)


def _update_model(ctx: ModelGuardContext, change: Change) -> str | None:
    problem = _managed_model(ctx, change)
    if problem:
        return problem
    problem = _model_body(ctx, change, change.spec or {}, whole=True)
    return problem or _model_body(ctx, change, change.after, whole=False)


def _delete_model(ctx: ModelGuardContext, change: Change) -> str | None:
    return _managed_model(ctx, change)


def _managed_model(ctx: ModelGuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is None:
        return "no live model has that id"
    if live.marker != ctx.marker:
        return f"that model is not managed by this scope ({_modelowner(live)})"
    return None


def _model_body(
    ctx: ModelGuardContext, change: Change, body: dict[str, Any], *, whole: bool
) -> str | None:
    """A /model/new body (whole) or the changed part of one."""
    extra = sorted(set(body) - MODEL_FIELDS)
    if extra:
        return f"it sets fields the tool never writes: {', '.join(extra)}"
    info = body.get("model_info", {} if not whole else None)
    if not isinstance(info, dict):
        return "its model_info is missing"
    if whole and info.get("id") != change.target:
        return "its model_info.id differs from its target"
    if (whole or MARKER_FIELD in info) and info.get(MARKER_FIELD) != ctx.marker:
        return f"its model_info must keep this scope's marker ({ctx.marker})"
    params = body.get("litellm_params", {"model": "-"} if not whole else None)
    if not isinstance(params, dict):
        return "its litellm_params are missing"
    return None


def _modelowner(live: LiveModel) -> str:
    if not live.db_model:
        return "the gateway's config.yaml"
    return owner(live.marker)


RULES = {
    Verb.ADOPT: _adopt_model,
    Verb.CREATE: _create_model,
    Verb.UPDATE: _update_model,
    Verb.DELETE: _delete_model,
}
