"""The last check before every write: does this change keep the tool's promises? Pure.

The diff never proposes a forbidden change, but a plan can come from a file, and code has
bugs; so each change is checked again at the point of change, against the estate and the
live state read at apply time, never against what the change says about itself:

- no write to a pinned key (by live token or alias) or under a pinned alias;
- no write to a key or model that does not carry this scope's marker on the LIVE object;
- adoption (adopt_key, adopt_model) only of a live object that carries NO marker at all (never
  another scope's, never a pinned key, never a config.yaml model), stamping this scope's;
- no unblock of a key held blocked outside desired/ (core/holds.py);
- the action and the object agree: a key change's key_id is a live key whose alias is the
  change's target; creates carry no raw key value and no empty model list (LiteLLM reads
  `models: []` as every model); managed metadata keeps this scope's marker; config.yaml
  models are never written; fallbacks are written only as desired/ declares them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.desired import Estate
from reconciler.core.errors import ForbiddenChangeError
from reconciler.core.holds import is_held
from reconciler.core.live import (
    KEY_LIMIT_FIELDS,
    MARKER_FIELD,
    LiveKey,
    LiveModel,
    LiveState,
    marker_for,
)

# Everything the diff ever writes on a key; anything else (key, key_alias, team_id, ...) is
# refused. A new key field the diff learns must be added here, or the guard refuses it.
_KEY_UPDATE_FIELDS = frozenset({"models", "metadata", "duration", *KEY_LIMIT_FIELDS})
_KEY_CREATE_FIELDS = _KEY_UPDATE_FIELDS | {"key_alias", "blocked"}
_MODEL_FIELDS = frozenset({"model_name", "litellm_params", "model_info"})


@dataclass(frozen=True)
class GuardContext:
    marker: str
    pinned_aliases: frozenset[str]
    pinned_tokens: frozenset[str]
    keys: dict[str, LiveKey]  # by token
    by_alias: dict[str | None, list[LiveKey]]
    models: dict[str, LiveModel]  # by id
    # The whole fallback list desired/ declares, as sent; None when desired/ leaves them alone.
    fallbacks: list[dict[str, list[str]]] | None

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> GuardContext:
        aliases = frozenset(p.alias for p in estate.pinned if p.alias is not None)
        tokens = {p.key_sha256 for p in estate.pinned if p.key_sha256 is not None}
        tokens |= {k.token for k in live.keys if k.alias in aliases}
        fallbacks = None
        if estate.fallbacks is not None:
            fallbacks = [{group: list(targets)} for group, targets in estate.fallbacks.items()]
        by_alias: dict[str | None, list[LiveKey]] = {}
        for key in live.keys:
            by_alias.setdefault(key.alias, []).append(key)
        return cls(
            marker=marker_for(estate.settings.scope),
            pinned_aliases=aliases,
            pinned_tokens=frozenset(tokens),
            keys={k.token: k for k in live.keys},
            by_alias=by_alias,
            models={m.id: m for m in live.models},
            fallbacks=fallbacks,
        )


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


Check = Callable[[GuardContext, Change], "str | None"]


def _existing_key(ctx: GuardContext, change: Change) -> str | None:
    """update/block/unblock/delete of a key: a live managed key of this scope, not pinned."""
    token = change.key_id
    if not token:
        return "it names no key_id"
    if token in ctx.pinned_tokens:
        return "that key is pinned and is never changed"
    key = ctx.keys.get(token)
    if key is None:
        return "no live key has that key_id"
    if key.alias in ctx.pinned_aliases:
        return "that key is pinned and is never changed"
    if key.marker != ctx.marker:
        return f"that key is not managed by this scope ({_owner(key.marker)})"
    if key.alias != change.target:
        return f"that key_id belongs to the key aliased {key.alias!r}, not {change.target!r}"
    if change.action is Action.UNBLOCK_KEY and is_held(key, desired_blocked=False):
        return "that key is held: blocked outside desired/; only `reconciler unblock` lifts it"
    return _key_fields(ctx, change)


def _adopt_key(ctx: GuardContext, change: Change) -> str | None:
    """An unmarked, unpinned live key: marker stamped, alias set or kept, never unblocked."""
    key = ctx.keys.get(change.key_id or "")
    if key is None:
        return "no live key has that key_id"
    if key.token in ctx.pinned_tokens or {key.alias, change.target} & ctx.pinned_aliases:
        return "that key is pinned and is never adopted"
    if key.marker is not None:
        return f"only a key no scope manages can be adopted ({_owner(key.marker)})"
    if key.alias not in (None, change.target):
        return f"that key_id belongs to the key aliased {key.alias!r}, not {change.target!r}"
    if key.alias is None and change.after.get("key_alias") != change.target:
        return "it must set the key's alias to its target"
    if any(k.alias == change.target and k.token != key.token for k in ctx.keys.values()):
        return "another live key already holds that alias"
    if change.after.get("blocked") is False:
        return "adopting never unblocks a key"
    if "metadata" not in change.after:
        return f"it must stamp this scope's marker ({ctx.marker})"
    allowed = _KEY_UPDATE_FIELDS | {"key_alias", "blocked", "duration"}
    return _key_body(ctx, change.after, allowed)


def _adopt_model(ctx: GuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is None:
        return "no live model has that id"
    if not live.db_model or live.marker is not None:
        return f"only a model no scope manages can be adopted ({_model_owner(live)})"
    problem = _model_body(ctx, change, change.spec or {}, whole=True)
    return problem or _model_body(ctx, change, change.after, whole=False)


def _key_fields(ctx: GuardContext, change: Change) -> str | None:
    expected = {
        Action.UPDATE_KEY: None,
        Action.BLOCK_KEY: {"blocked": True},
        Action.UNBLOCK_KEY: {"blocked": False},
        Action.DELETE_KEY: {},
    }[change.action]
    if expected is not None:
        if change.after not in ({}, expected):
            return f"it carries {sorted(change.after)}"
        # Blocks and unblocks also write the tool's record into the key's metadata.
        metadata = (change.spec or {}).get("metadata", {MARKER_FIELD: ctx.marker})
        if not isinstance(metadata, dict) or metadata.get(MARKER_FIELD) != ctx.marker:
            return f"its metadata must keep this scope's marker ({ctx.marker})"
        return None
    return _key_body(ctx, change.after, _KEY_UPDATE_FIELDS)


def _key_body(ctx: GuardContext, body: dict[str, Any], allowed: frozenset[str]) -> str | None:
    extra = sorted(set(body) - allowed)
    if extra:
        if "key" in extra:
            return "a key's secret is generated by the gateway, never set by a plan"
        return f"it sets fields the tool never writes: {', '.join(extra)}"
    models = body.get("models", ["-"])
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        return "its models must be a non-empty list (LiteLLM reads [] as every model)"
    if "metadata" in body:
        metadata = body["metadata"]
        if not isinstance(metadata, dict) or metadata.get(MARKER_FIELD) != ctx.marker:
            return f"its metadata must keep this scope's marker ({ctx.marker})"
    return None


def _create_key(ctx: GuardContext, change: Change) -> str | None:
    if change.key_id is not None:
        return "a new key has no key_id"
    if change.after.get("key_alias") != change.target:
        return "its key_alias differs from its target"
    if change.target in ctx.pinned_aliases:
        return "that alias is pinned"
    for key in ctx.by_alias.get(change.target, []):
        if key.marker != ctx.marker:
            return f"that alias is held by a key outside this scope ({_owner(key.marker)})"
        if not key.secret_undelivered:
            # Only a key whose secret was lost is ever replaced; a working one is updated.
            return "a working managed key with that alias exists"
    if "models" not in change.after or "metadata" not in change.after:
        return "it lacks models or metadata"
    return _key_body(ctx, change.after, _KEY_CREATE_FIELDS)


def _create_model(ctx: GuardContext, change: Change) -> str | None:
    live = ctx.models.get(change.target)
    if live is not None:
        return f"a model with that id already exists ({_model_owner(live)})"
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
        return f"that model is not managed by this scope ({_model_owner(live)})"
    return None


def _model_body(
    ctx: GuardContext, change: Change, body: dict[str, Any], *, whole: bool
) -> str | None:
    """A /model/new body (whole) or the changed part of one."""
    extra = sorted(set(body) - _MODEL_FIELDS)
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


def _owner(marker: str | None) -> str:
    return f"marker {marker}" if marker else "not created by this tool"


def _model_owner(live: LiveModel) -> str:
    if not live.db_model:
        return "the gateway's config.yaml"
    return _owner(live.marker)


_CHECKS: dict[Action, Check] = {
    Action.ADOPT_KEY: _adopt_key,
    Action.ADOPT_MODEL: _adopt_model,
    Action.CREATE_KEY: _create_key,
    Action.UPDATE_KEY: _existing_key,
    Action.BLOCK_KEY: _existing_key,
    Action.UNBLOCK_KEY: _existing_key,
    Action.DELETE_KEY: _existing_key,
    Action.CREATE_MODEL: _create_model,
    Action.UPDATE_MODEL: _update_model,
    Action.DELETE_MODEL: _delete_model,
    Action.UPDATE_FALLBACKS: _update_fallbacks,
}
