"""`reconciler import` for users: each user the tool may manage, with `adopt: true`. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.imported import ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.user.live import BOOKKEEPING, users_of

_ROLES = {"proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"}


def import_users(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    marker = marker_for(existing.settings.scope)
    declared = {u.id for u in existing.users}
    for user in sorted(users_of(live), key=lambda u: u.id):
        if user.id in declared or not wanted(user.id):
            continue
        if user.marker not in (None, marker):
            out.listed.append(f"user of another scope {user.id} ({user.marker})")
            continue
        entry: dict[str, Any] = {"id": user.id}
        if user.email:
            entry["email"] = user.email
        entry["role"] = user.role if user.role in _ROLES else "internal_user"
        if user.alias:
            entry["alias"] = user.alias
        metadata = {k: v for k, v in user.metadata.items() if k not in BOOKKEEPING}
        if metadata:
            entry["metadata"] = metadata
        if user.marker is None:
            entry["adopt"] = True
        out.sections.setdefault("users", []).append(entry)
