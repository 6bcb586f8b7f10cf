"""The last check before every write: does this change keep the tool's promises? Pure.

The diff never proposes a forbidden change, but a plan can come from a file, and code has
bugs; so each change is checked again at the point of change, against the estate and the
live state read at apply time, never against what the change says about itself:

- no write to a pinned key (by live token or alias) or under a pinned alias;
- no write to a key or model that does not carry this scope's marker on the LIVE object;
- adoption (adopt_key, adopt_model) only of a live object that carries NO marker at all (never
  another scope's, never a pinned key, never a config.yaml model), stamping this scope's;
- no unblock of a key held blocked outside desired/ (core/holds.py);
- a rotation (rotate_key) only moves a managed key out of its agent's alias, marked as rotated
  out with a lifetime; only then may a new key of that alias be created;
- the action and the object agree: a key change's key_id is a live key whose alias is the
  change's target; creates carry no raw key value and no empty model list (LiteLLM reads
  `models: []` as every model); managed metadata keeps this scope's marker; config.yaml
  models are never written; fallbacks are written only as desired/ declares them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.errors import ForbiddenChangeError
from reconciler.core.guard_context import MODEL_FIELDS, GuardContext, owner
from reconciler.core.guard_keys import (
    adopt_key,
    create_key,
    existing_key,
    rotate_key,
)
from reconciler.core.live import MARKER_FIELD, LiveModel

__all__ = ["Guard", "GuardContext"]


class Guard:
    """Callable the executor runs before every change; raises ForbiddenChangeError."""

    def __init__(self, context: GuardContext) -> None:
        self.context = context

    def __call__(self, change: Change) -> None:
        check = _CHECKS.get(change.action)
        # Deny by default: an action nobody taught the guard is not an action it allows.
        problem = check(self.context, change) if check else "the guard has no rule for it"
        if problem:
            raise ForbiddenChangeError(
                f"refused {change.action.value} {change.target!r}: {problem}"
            )
        if change.action is Action.ROTATE_KEY:
            self.context.rotating.add(str(change.key_id))


Check = Callable[[GuardContext, Change], "str | None"]


def _adopt_model(ctx: GuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is None:
        return "no live model has that id"
    if not live.db_model or live.marker is not None:
        return f"only a model no scope manages can be adopted ({_modelowner(live)})"
    problem = _model_body(ctx, change, change.spec or {}, whole=True)
    return problem or _model_body(ctx, change, change.after, whole=False)


def _create_model(ctx: GuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is not None:
        return f"a model with that id already exists ({_modelowner(live)})"
    return _model_body(ctx, change, change.after, whole=True)


def _update_model(ctx: GuardContext, change: Change) -> str | None:
    problem = _managed_model(ctx, change)
    if problem:
        return problem
    problem = _model_body(ctx, change, change.spec or {}, whole=True)
    return problem or _model_body(ctx, change, change.after, whole=False)


def _delete_model(ctx: GuardContext, change: Change) -> str | None:
    return _managed_model(ctx, change)


def _managed_model(ctx: GuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is None:
        return "no live model has that id"
    if live.marker != ctx.marker:
        return f"that model is not managed by this scope ({_modelowner(live)})"
    return None


def _model_body(
    ctx: GuardContext, change: Change, body: dict[str, Any], *, whole: bool
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


def _update_fallbacks(ctx: GuardContext, change: Change) -> str | None:
    if ctx.fallbacks is None:
        return "desired/ does not declare fallbacks, so the tool leaves them alone"
    if change.target != "fallbacks" or (change.spec or {}).get("fallbacks") != ctx.fallbacks:
        return "it is not the fallback routing desired/ declares"
    return None


def _modelowner(live: LiveModel) -> str:
    if not live.db_model:
        return "the gateway's config.yaml"
    return owner(live.marker)


_CHECKS: dict[Action, Check] = {
    Action.ADOPT_KEY: adopt_key,
    Action.ADOPT_MODEL: _adopt_model,
    Action.ROTATE_KEY: rotate_key,
    Action.CREATE_KEY: create_key,
    Action.UPDATE_KEY: existing_key,
    Action.BLOCK_KEY: existing_key,
    Action.UNBLOCK_KEY: existing_key,
    Action.DELETE_KEY: existing_key,
    Action.CREATE_MODEL: _create_model,
    Action.UPDATE_MODEL: _update_model,
    Action.DELETE_MODEL: _delete_model,
    Action.UPDATE_FALLBACKS: _update_fallbacks,
}
