"""What the tool writes on a user and how a live user compares with it. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.engine.stamps import digest
from reconciler.core.kinds.user.live import APPLIED_FIELD, BOOKKEEPING, LiveUser
from reconciler.core.kinds.user.schema import USER_FIELDS, User

# desired/ field -> the proxy's name for it.
WIRE = {"email": "user_email", "role": "user_role", "alias": "user_alias"}


def user_content(fields: dict[str, Any], metadata: dict[str, Any], ignore: list[str]) -> dict:
    skip = {n.removeprefix("metadata.") for n in ignore if n.startswith("metadata.")}
    content = {n: fields.get(n) for n in USER_FIELDS if n not in ignore}
    content["metadata"] = {k: v for k, v in metadata.items()
                           if k not in BOOKKEEPING and k not in skip}
    return content


def desired_content(user: User) -> dict[str, Any]:
    return user_content({n: getattr(user, n) for n in USER_FIELDS}, user.metadata,
                        user.ignore_fields)


def live_content(live: LiveUser, ignore: list[str]) -> dict[str, Any]:
    return user_content(live.fields(), live.metadata, ignore)


def written_metadata(user: User, scope: str, live: LiveUser | None = None) -> dict[str, Any]:
    """The whole metadata the tool writes (the proxy replaces it): values another system
    owns kept, the marker and the record last."""
    kept = {k: v for k, v in (live.metadata if live else {}).items()
            if f"metadata.{k}" in user.ignore_fields}
    record = {"sha256": digest(desired_content(user)), "protected": user.protected}
    return {**user.metadata, **kept, MARKER_FIELD: marker_for(scope), APPLIED_FIELD: record}


def create_body(user: User, scope: str) -> dict[str, Any]:
    body: dict[str, Any] = {"user_id": user.id}
    body.update({WIRE[n]: getattr(user, n) for n in USER_FIELDS if getattr(user, n) is not None})
    # /user/new makes a key for the user unless told not to: keys are agents' business.
    return {**body, "metadata": written_metadata(user, scope), "auto_create_key": False}
