"""Who may write the tool's objects, as the gateway itself records it."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.ownership import admin_identities
from reconciler.core.errors import AuthenticationFailed, NotFound
from reconciler.gateway.bounded import whole
from reconciler.gateway.transport import BaseClient

USER_PAGE = 100
MAX_USER_PAGES = 100  # 10,000 proxy admins: far past any real gateway


class IdentityCalls(BaseClient):
    def admin_identities(self) -> frozenset[str]:
        """Who may write the tool's objects: the master key's identity and every proxy
        admin's user id. A gateway that will not list users leaves the master key alone:
        fewer objects trusted, never more."""
        users: list[dict[str, Any]] = []
        try:
            for page in range(1, MAX_USER_PAGES + 1):
                body = self._read("GET", "/user/list", params={
                    "role": "proxy_admin", "page": page, "page_size": USER_PAGE})
                found = body.get("users") if isinstance(body, dict) else None
                users.extend(u for u in found or [] if isinstance(u, dict))
                if page >= whole(body.get("total_pages"), 0) or not found:
                    break
        except (NotFound, AuthenticationFailed):
            pass
        return admin_identities(users)
