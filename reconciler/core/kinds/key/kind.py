"""The key kind as the engine sees it."""

from __future__ import annotations

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.diff import diff
from reconciler.core.kinds.key.fields import (
    APPLIED_FIELD,
    BLOCK_STORY_FIELD,
    HOLD_FIELD,
    KIND,
    ROTATED_FIELD,
    ROTATION_FIELD,
)
from reconciler.core.kinds.key.guard import RULES, KeyGuardContext
from reconciler.core.kinds.key.importer import import_keys
from reconciler.core.kinds.key.live import fingerprint, keys_of, parse_keys
from reconciler.core.kinds.key.ownership import claim_warnings


def _managed(estate: Estate, live: LiveState) -> int:
    marker = marker_for(estate.settings.scope)
    return sum(
        k.marker == marker and not estate.is_pinned(k.token, k.alias) for k in keys_of(live)
    )


def _needs_sink(change: Change) -> bool:
    # A key nobody can hold the secret of must never exist: creates need a sink.
    return change.verb is Verb.CREATE


KEY = Kind(
    name=KIND,
    noun="key",
    plural="keys",
    # A new agent's key goes live once the models it calls and their fallbacks are in place.
    # ... and once its team and budget exist.
    depends_on=("model", "routing", "team", "budget", "user"),
    # Adoption first (later changes find the key managed); a rotation frees the alias before
    # its successor is created; a key whose secret was lost is deleted before its replacement
    # is created (aliases are unique).
    verbs=(Verb.ADOPT, Verb.ROTATE, Verb.DELETE, Verb.CREATE, Verb.UPDATE, Verb.UNBLOCK,
           Verb.BLOCK),
    late=(),
    parse=parse_keys,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=KeyGuardContext.build,
    guard_rules=RULES,
    managed=_managed,
    rail_words=("key updates", "key blocks and deletes"),
    needs_sink=_needs_sink,
    untouched={
        "pinned_key": ("pinned key (never changed)", "pinned key(s)"),
        "unmanaged_key": ("unmanaged key (not created by this tool; left alone)",
                          "unmanaged key(s)"),
        "other_scope_key": ("key of another scope (left alone)", "key(s) of other scopes"),
        "claimed_key": ("key claiming the tool's marker, not proven (never trusted; left alone)",
                        "key(s) claiming the tool's marker (never trusted)"),
        "held_key": ("held (blocked outside desired/; apply keeps it blocked)", ""),
        "rotating_key": ("rotated-out key in its grace period (blocked once it expires)",
                         "rotated-out key(s) in their grace period"),
    },
    hidden=frozenset(f"metadata.{name}" for name in (
        MARKER_FIELD, APPLIED_FIELD, HOLD_FIELD, ROTATION_FIELD, ROTATED_FIELD,
        BLOCK_STORY_FIELD)),
    markers=frozenset({f"metadata.{MARKER_FIELD}"}),
    importer=import_keys,
    claims=claim_warnings,
)
