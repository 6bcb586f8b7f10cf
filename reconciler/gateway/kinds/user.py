"""Users on the gateway: the admin-API calls, how a plan reads them, how apply writes them.

Recorded on the real proxy (tests/recorded/teams/): /user/update of an unknown id creates
that user, so an update is sent only for a user the plan saw (the guard checks it).
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.errors import NotFound
from reconciler.core.kinds.user.spec import WIRE
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient

USER_PAGE = 100  # the proxy's largest page_size for /user/list


class UserCalls(BaseClient):
    def list_users(self) -> list[dict[str, Any]]:
        """Page 1 says how many pages; the rest are read `parallelism` at a time."""
        first = self._user_page(1)
        pages = int(first.get("total_pages") or 1)
        rows = list(first.get("users") or [])
        rows += [r for more in self.pool.map(self._user_page, range(2, pages + 1))
                 for r in more.get("users") or []]
        return list({str(r.get("user_id")): r for r in rows if isinstance(r, dict)}.values())

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
    return client.list_users()


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
