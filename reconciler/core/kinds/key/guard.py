"""The guard's rules for keys (see engine/guard.py for the promises they keep). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for, owner
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.fields import KEY_LIMIT_FIELDS, ROTATED_FIELD
from reconciler.core.kinds.key.holds import is_held
from reconciler.core.kinds.key.live import LiveKey, keys_of
from reconciler.core.kinds.key.membership import MEMBERSHIP_FIELDS, wanted
from reconciler.core.kinds.key.schema import KEY_ENTERPRISE_FIELDS, KEY_EXTRA_FIELDS

# Everything the diff ever writes on a key; anything else (key, key_alias, team_id, ...) is
# refused. A new key field the diff learns must be added here, or the guard refuses it.
KEY_UPDATE_FIELDS = frozenset({"models", "metadata", "duration", *KEY_LIMIT_FIELDS,
                               *MEMBERSHIP_FIELDS, *KEY_EXTRA_FIELDS, *KEY_ENTERPRISE_FIELDS})
KEY_CREATE_FIELDS = KEY_UPDATE_FIELDS | {"key_alias", "blocked"}


@dataclass(frozen=True)
class KeyGuardContext:
    marker: str
    pinned_aliases: frozenset[str]
    pinned_tokens: frozenset[str]
    keys: dict[str, LiveKey]  # by token
    by_alias: dict[str | None, list[LiveKey]]
    # agent -> the team_id / budget_id desired/ gives its key (kinds/key/membership.py).
    memberships: dict[str, dict[str, str]] = field(default_factory=dict)
    # Tokens a rotate of this plan has passed: their alias is free for the successor.
    rotating: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> KeyGuardContext:
        keys = keys_of(live)
        aliases = frozenset(p.alias for p in estate.pinned if p.alias is not None)
        tokens = {p.key_sha256 for p in estate.pinned if p.key_sha256 is not None}
        tokens |= {k.token for k in keys if k.alias in aliases}
        by_alias: dict[str | None, list[LiveKey]] = {}
        for key in keys:
            by_alias.setdefault(key.alias, []).append(key)
        return cls(
            marker=marker_for(estate.settings.scope),
            pinned_aliases=aliases,
            pinned_tokens=frozenset(tokens),
            keys={k.token: k for k in keys},
            by_alias=by_alias,
            memberships=wanted(estate, live),
        )


def existing_key(ctx: KeyGuardContext, change: Change) -> str | None:
    """update/block/unblock/delete of a key: a live managed key of this scope, not pinned."""
    key, problem = _managed_key(ctx, change)
    if key is None:
        return problem
    if change.verb is Verb.UNBLOCK and is_held(key, desired_blocked=False):
        return "that key is held: blocked outside desired/; only `reconciler unblock` lifts it"
    return _key_fields(ctx, change)


def _managed_key(ctx: KeyGuardContext, change: Change) -> tuple[LiveKey | None, str]:
    """The live managed key of this scope, not pinned, aliased as the change's target."""
    token = change.ref
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


def rotate_key(ctx: KeyGuardContext, change: Change) -> str | None:
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
    problem = _key_body(ctx, change.after, frozenset({"key_alias", "duration", "metadata"}))
    if problem is None:
        ctx.rotating.add(key.token)  # its alias is free for the successor this plan creates
    return problem


def adopt_key(ctx: KeyGuardContext, change: Change) -> str | None:
    """An unmarked, unpinned live key: marker stamped, alias set or kept, never unblocked."""
    key = ctx.keys.get(change.ref or "")
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


def _key_fields(ctx: KeyGuardContext, change: Change) -> str | None:
    expected = {
        Verb.UPDATE: None,
        Verb.BLOCK: {"blocked": True},
        Verb.UNBLOCK: {"blocked": False},
        Verb.DELETE: {},
    }[change.verb]
    if expected is not None:
        if change.after not in ({}, expected):
            return f"it carries {sorted(change.after)}"
        # Blocks and unblocks also write the tool's record into the key's metadata.
        metadata = (change.spec or {}).get("metadata", {MARKER_FIELD: ctx.marker})
        if not isinstance(metadata, dict) or metadata.get(MARKER_FIELD) != ctx.marker:
            return f"its metadata must keep this scope's marker ({ctx.marker})"
        return None
    return _key_body(ctx, change.after, KEY_UPDATE_FIELDS)


def _key_body(ctx: KeyGuardContext, body: dict[str, Any], allowed: frozenset[str]) -> str | None:
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


def create_key(ctx: KeyGuardContext, change: Change) -> str | None:
    if change.ref is not None:
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


def _spend_source(ctx: KeyGuardContext, change: Change) -> str | None:
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


def _membership(ctx: KeyGuardContext, change: Change) -> str | None:
    """A key joins only the team and budget desired/ names for its agent."""
    want = ctx.memberships.get(change.target, {})
    for name in MEMBERSHIP_FIELDS:
        if name in change.after and change.after[name] != want.get(name):
            return f"its {name} is not the one desired/ names for this agent"
    return None


def _with_membership(rule: Any) -> Any:
    def checked(ctx: KeyGuardContext, change: Change) -> str | None:
        return rule(ctx, change) or _membership(ctx, change)

    return checked


RULES = {
    Verb.ADOPT: _with_membership(adopt_key),
    Verb.ROTATE: rotate_key,
    Verb.CREATE: _with_membership(create_key),
    Verb.UPDATE: _with_membership(existing_key),
    Verb.BLOCK: existing_key,
    Verb.UNBLOCK: existing_key,
    Verb.DELETE: existing_key,
}
