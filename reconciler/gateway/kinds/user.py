"""Users on the gateway: the admin-API calls, how a plan reads them, how apply writes them.

Recorded on the real proxy (tests/recorded/teams/): /user/update of an unknown id creates
that user, so an update is sent only for a user the plan saw (the guard checks it).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.errors import NotFound
from reconciler.core.kinds.user.spec import WIRE
from reconciler.gateway.paging import read_pages
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient

USER_PAGE = 100  # the proxy's largest page_size for /user/list
# What a plan reads of a user row (core/kinds/user/live.py); the rest (the ids of every team
# the user is in, spend...) is dropped on arrival.
LIVE_USER_FIELDS = ("user_id", "user_email", "user_role", "user_alias", "metadata")


class UserCalls(BaseClient):
    def list_users(self, fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every user (with `fields`, only those of each row), pages read on the pool."""
        return read_pages(self.pool, self._user_page, "users", "user_id", fields)

    def _user_page(self, page: int) -> dict[str, Any]:
        return dict(self._read("GET", "/user/list", params={"page": page,
                                                            "page_size": USER_PAGE}))

    def user_by_id(self, user_id: str) -> dict[str, Any] | None:
        try:
            body = self._read("GET", "/user/info", params={"user_id": user_id})
        except NotFound:
            return None
        return dict(body.get("user_info") or {}) or None

    def create_user(self, body: dict[str, Any]) -> dict[str, Any]:
        user_id = str(body["user_id"])
        return dict(self.retry.call(lambda: self._call("POST", "/user/new", json=body),
                                    verify=lambda: self.user_by_id(user_id)))

    def update_user(self, user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/user/update", json={"user_id": user_id, **fields}))

    def delete_user(self, user_id: str) -> None:
        self._read("POST", "/user/delete", json={"user_ids": [user_id]})


def read(client: UserCalls) -> list[dict[str, Any]]:
    return client.list_users(fields=LIVE_USER_FIELDS)


class UserWriter:
    def __init__(self, client: UserCalls, sink: SecretSink | None) -> None:
        self.client = client

    def create(self, change: Change) -> str:
        self.client.create_user(change.after)
        return "created (no key)"

    def update(self, change: Change) -> str:
        self.client.update_user(change.target, _wire(change.after))
        return "updated " + ", ".join(sorted(change.after))

    def adopt(self, change: Change) -> str:
        self.client.update_user(change.target, _wire(change.after))
        return "adopted (marker stamped; keys and spend kept)"

    def delete(self, change: Change) -> str:
        self.client.delete_user(change.target)
        return "deleted"


def _wire(after: dict[str, Any]) -> dict[str, Any]:
    return {WIRE.get(name, name): value for name, value in after.items()}
