"""The user kind as the engine sees it."""

from __future__ import annotations

from reconciler.core.engine.changes import Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.user.diff import diff
from reconciler.core.kinds.user.guard import RULES, UserGuardContext
from reconciler.core.kinds.user.importer import import_users
from reconciler.core.kinds.user.live import APPLIED_FIELD, KIND, fingerprint, parse_users, users_of


def _managed(estate: Estate, live: LiveState) -> int:
    marker = marker_for(estate.settings.scope)
    return sum(u.marker == marker for u in users_of(live))


USER = Kind(
    name=KIND,
    # Only when desired/ declares users: (even `users: []`); else they are left alone.
    reads=lambda estate: estate.declares("users"),
    noun="user",
    plural="users",
    depends_on=(),
    verbs=(Verb.ADOPT, Verb.CREATE, Verb.UPDATE),
    # Deleted once no team lists them as members.
    late=(Verb.DELETE,),
    parse=parse_users,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=UserGuardContext.build,
    guard_rules=RULES,
    managed=_managed,
    rail_words=("user updates", "user deletes"),
    untouched={
        "unmanaged_user": ("unmanaged user (not created by this tool; left alone)",
                           "unmanaged user(s)"),
        "other_scope_user": ("user of another scope (left alone)", "user(s) of other scopes"),
    },
    hidden=frozenset({f"metadata.{MARKER_FIELD}", f"metadata.{APPLIED_FIELD}"}),
    markers=frozenset({f"metadata.{MARKER_FIELD}"}),
    importer=import_users,
)
