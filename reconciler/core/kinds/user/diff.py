"""Users in desired/ vs /user/list -> user changes. Pure.

A managed user whose declaration left desired/ stays unless `settings.removed_users: delete`
(a user may own keys and spend the tool does not see); the pinned key's user never changes.
"""

from __future__ import annotations

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.diffing import field_changes
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.engine.stamps import digest, is_drift
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.reach import pinned_owners
from reconciler.core.kinds.user.live import KIND, LiveUser, users_of
from reconciler.core.kinds.user.schema import User
from reconciler.core.kinds.user.spec import (
    create_body,
    desired_content,
    live_content,
    written_metadata,
)


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    scope = estate.settings.scope
    marker = marker_for(scope)
    by_id = {u.id: u for u in users_of(live)}
    pinned = pinned_owners(estate, live)["user"]
    conflicts: list[str] = []
    for user in estate.users:
        found = by_id.pop(user.id, None)
        if found is None:
            acc.changes.append(Change(KIND, Verb.CREATE, user.id, after=create_body(user, scope)))
        elif found.marker is None and user.adopt:
            acc.changes.append(_change(Verb.ADOPT, user, found, scope, "adopted: the user "
                                       "keeps its keys and spend"))
        elif found.marker != marker:
            who = f"another scope ({found.marker})" if found.marker else "a user this tool " \
                "did not create; add `adopt: true` to take it over"
            conflicts.append(f"user {user.id!r}: that id belongs to {who}")
        else:
            change = _change(Verb.UPDATE, user, found, scope)
            if change is not None and user.id in pinned and change.after.keys() - {"metadata"}:
                conflicts.append(f"user {user.id!r} owns a pinned key: its "
                                 f"{', '.join(sorted(change.after.keys() - {'metadata'}))} "
                                 "never changes through the tool")
            elif change is not None:
                acc.changes.append(change)
    for left in by_id.values():
        _removed(estate, left, marker, pinned, acc)
    return conflicts


def _change(verb: Verb, user: User, live: LiveUser, scope: str,
            reason: str | None = None) -> Change | None:
    have, want = live_content(live, user.ignore_fields), desired_content(user)
    before, after = field_changes(have, want)
    metadata = written_metadata(user, scope, live)
    if verb is Verb.UPDATE and not after and live.applied.get("sha256") == digest(want) \
            and live.applied.get("protected") == user.protected:
        return None
    recorded = live.applied.get("sha256")
    before["metadata"], after["metadata"] = live.metadata, metadata
    return Change(KIND, verb, user.id, before=before, after=after, ref=live.id, reason=reason,
                  drift=verb is Verb.UPDATE and is_drift(recorded, digest(have)))


def _removed(estate: Estate, live: LiveUser, marker: str, pinned: frozenset[str],
             acc: PlanInputs) -> None:
    if live.marker != marker:
        label = "unmanaged_user" if live.marker is None else "other_scope_user"
        acc.untouched.append(Untouched(label, live.id, live.marker or ""))
    elif live.applied.get("protected") is True or live.id in pinned:
        why = "owns a pinned key" if live.id in pinned else "is protected"
        acc.warnings.append(f"user {live.id!r} left desired/ but {why}: it stays")
    elif estate.settings.removed_users == "delete":
        acc.changes.append(Change(KIND, Verb.DELETE, live.id, before={"email": live.email},
                                  ref=live.id, reason="removed from desired/"))
    else:
        acc.warnings.append(f"user {live.id!r} left desired/: it stays (removing a user is "
                            "refused unless settings.removed_users: delete)")
