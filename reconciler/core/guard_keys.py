"""The guard's rules for keys (see core/guard.py for the promises they keep). Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.guard_context import (
    KEY_CREATE_FIELDS,
    KEY_UPDATE_FIELDS,
    GuardContext,
    owner,
)
from reconciler.core.holds import is_held
from reconciler.core.live import MARKER_FIELD, ROTATED_FIELD, LiveKey


def existing_key(ctx: GuardContext, change: Change) -> str | None:
    """update/block/unblock/delete of a key: a live managed key of this scope, not pinned."""
    key, problem = _managed_key(ctx, change)
    if key is None:
        return problem
    if change.action is Action.UNBLOCK_KEY and is_held(key, desired_blocked=False):
        return "that key is held: blocked outside desired/; only `reconciler unblock` lifts it"
    return _key_fields(ctx, change)


def _managed_key(ctx: GuardContext, change: Change) -> tuple[LiveKey | None, str]:
    """The live managed key of this scope, not pinned, aliased as the change's target."""
    token = change.key_id
    if not token:
        return None, "it names no key_id"
    key = ctx.keys.get(token)
    if key is None and token not in ctx.pinned_tokens:
        return None, "no live key has that key_id"
    if key is None or token in ctx.pinned_tokens or key.alias in ctx.pinned_aliases:
        return None, "that key is pinned and is never changed"
    if key.marker != ctx.marker:
        return None, f"that key is not managed by this scope ({owner(key.marker)})"
    if key.alias != change.target:
        return None, (f"that key_id belongs to the key aliased {key.alias!r}, "
                      f"not {change.target!r}")
    return key, ""


def rotate_key(ctx: GuardContext, change: Change) -> str | None:
    """A managed key moved out of its agent's alias, marked rotated out, given a lifetime."""
    key, problem = _managed_key(ctx, change)
    if key is None:
        return problem
    if is_held(key, desired_blocked=False):
        return "that key is held: blocked outside desired/; it rotates after the hold ends"
    alias = change.after.get("key_alias")
    if not isinstance(alias, str) or not alias.startswith(f"{change.target}#rotation-"):
        return f"it must move the key to the alias {change.target}#rotation-N"
    if alias in ctx.by_alias:
        return f"another live key already holds the alias {alias!r}"
    if not isinstance(change.after.get("duration"), str):
        return "a rotated-out key needs a lifetime (its grace period)"
    record = (change.after.get("metadata") or {}).get(ROTATED_FIELD)
    if not isinstance(record, dict) or record.get("agent") != change.target:
        return "its metadata must record the rotation of this agent"
    return _key_body(ctx, change.after, frozenset({"key_alias", "duration", "metadata"}))


def adopt_key(ctx: GuardContext, change: Change) -> str | None:
    """An unmarked, unpinned live key: marker stamped, alias set or kept, never unblocked."""
    key = ctx.keys.get(change.key_id or "")
    if key is None:
        return "no live key has that key_id"
    if key.token in ctx.pinned_tokens or {key.alias, change.target} & ctx.pinned_aliases:
        return "that key is pinned and is never adopted"
    if key.marker is not None:
        return f"only a key no scope manages can be adopted ({owner(key.marker)})"
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
    allowed = KEY_UPDATE_FIELDS | {"key_alias", "blocked", "duration"}
    return _key_body(ctx, change.after, allowed)


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
    return _key_body(ctx, change.after, KEY_UPDATE_FIELDS)


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


def create_key(ctx: GuardContext, change: Change) -> str | None:
    if change.key_id is not None:
        return "a new key has no key_id"
    if change.after.get("key_alias") != change.target:
        return "its key_alias differs from its target"
    if change.target in ctx.pinned_aliases:
        return "that alias is pinned"
    for key in ctx.by_alias.get(change.target, []):
        if key.marker != ctx.marker:
            return f"that alias is held by a key outside this scope ({owner(key.marker)})"
        if not key.secret_undelivered and key.token not in ctx.rotating:
            # Only a key whose secret was lost is ever replaced; a working one is updated.
            return "a working managed key with that alias exists"
    if "models" not in change.after or "metadata" not in change.after:
        return "it lacks models or metadata"
    return _spend_source(ctx, change) or _key_body(ctx, change.after, KEY_CREATE_FIELDS)


def _spend_source(ctx: GuardContext, change: Change) -> str | None:
    """A new key may start from the spend of a managed key of the same agent, nothing else."""
    extra = sorted(set(change.spec or {}) - {"spend_from"})
    if extra:
        return f"it carries {', '.join(extra)}"
    token = (change.spec or {}).get("spend_from")
    if token is None:
        return None
    key = ctx.keys.get(str(token))
    if key is None or key.token in ctx.pinned_tokens or key.marker != ctx.marker:
        return "it takes its spend from a key that is not a managed key of this scope"
    if key.metadata.get("agent") != change.target:
        return "it takes its spend from another agent's key"
    return None
