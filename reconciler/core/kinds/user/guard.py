"""The guard's rules for users (see engine/guard.py for the promises). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for, owner
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.reach import pinned_owners
from reconciler.core.kinds.user.live import LiveUser, users_of

_WRITTEN = frozenset({"email", "role", "alias", "metadata"})
_CREATED = frozenset({"user_id", "user_email", "user_role", "user_alias", "metadata",
                      "auto_create_key"})


@dataclass(frozen=True)
class UserGuardContext:
    marker: str
    users: dict[str, LiveUser]
    declared: frozenset[str]
    pinned: frozenset[str]  # user ids the pinned key belongs to

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> UserGuardContext:
        return cls(marker_for(estate.settings.scope), {u.id: u for u in users_of(live)},
                   frozenset(u.id for u in estate.users), pinned_owners(estate, live)["user"])


def _create(ctx: UserGuardContext, change: Change) -> str | None:
    if change.target not in ctx.declared or change.after.get("user_id") != change.target:
        return "desired/ declares no such user"
    if change.target in ctx.users:
        return "a user with that id already exists"
    if change.after.get("auto_create_key") is not False:
        return "a user is created without a key (keys are agents')"
    extra = sorted(set(change.after) - _CREATED)
    return f"it sets fields the tool never writes: {', '.join(extra)}" if extra else \
        _marked(ctx, change.after.get("metadata"))


def _existing(ctx: UserGuardContext, change: Change) -> str | None:
    live = ctx.users.get(change.ref or "")
    if live is None or live.id != change.target:
        return "no live user has that id"
    if change.verb is Verb.ADOPT:
        if live.marker is not None:
            return f"only a user no scope manages can be adopted ({owner(live.marker)})"
    elif live.marker != ctx.marker:
        return f"that user is not managed by this scope ({owner(live.marker)})"
    if live.id in ctx.pinned and (change.verb is Verb.DELETE or change.after.keys() - {"metadata"}):
        return "that user owns a pinned key: it never changes through the tool"
    if change.verb is Verb.DELETE:
        return "desired/ still declares it" if change.target in ctx.declared else None
    extra = sorted(set(change.after) - _WRITTEN)
    if extra:
        return f"it sets fields the tool never writes: {', '.join(extra)}"
    return _marked(ctx, change.after.get("metadata"))


def _marked(ctx: UserGuardContext, metadata: Any) -> str | None:
    if not isinstance(metadata, dict) or metadata.get(MARKER_FIELD) != ctx.marker:
        return f"its metadata must keep this scope's marker ({ctx.marker})"
    return None


RULES = {Verb.ADOPT: _existing, Verb.CREATE: _create, Verb.UPDATE: _existing,
         Verb.DELETE: _existing}
