"""The gateways the end-to-end suite runs against, behind one interface.

Every test gets its own namespace (a random prefix used as the reconciler scope, in aliases
and in model ids), so tests are order-independent and can share a long-lived real proxy.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

REAL_URL_ENV = "RECONCILER_REAL_GATEWAY_URL"
REAL_KEY_ENV = "RECONCILER_REAL_GATEWAY_KEY"
REAL_SKIP_REASON = (
    f"skipped: real LiteLLM proxy not available (set {REAL_URL_ENV} and {REAL_KEY_ENV})"
)


def real_gateway_env() -> tuple[str, str] | None:
    url, key = os.environ.get(REAL_URL_ENV), os.environ.get(REAL_KEY_ENV)
    return (url, key) if url and key else None


@dataclass
class Gateway:
    kind: str
    base_url: str
    admin_key: str
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    users: list[str] = field(default_factory=list)

    @property
    def pinned_raw(self) -> str:
        # Test-side only: the tool is never given this value, just its alias.
        return f"sk-{self.prefix}-sileya-fixed"

    @property
    def pinned_alias(self) -> str:
        return f"{self.prefix}-sileya"

    @property
    def unmanaged_alias(self) -> str:
        return f"{self.prefix}-legacy"

    def name(self, base: str) -> str:
        return f"{self.prefix}-{base}"

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.admin_key}"},
            timeout=60,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.http() as http:
            response = http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    # -- the namespace's objects ---------------------------------------------------------------
    def live_keys(self) -> dict[str, dict[str, Any]]:
        """Live keys of this namespace by alias (all pages)."""
        return {k["key_alias"]: k for k in self._all_keys() if self._mine(k.get("key_alias"))}

    def namespace_keys(self) -> list[dict[str, Any]]:
        """Every live key of this namespace, duplicates of an alias included."""
        return [k for k in self._all_keys() if self._mine(k.get("key_alias"))]

    def keys_by_alias(self, alias: str) -> list[dict[str, Any]]:
        return [k for k in self._all_keys() if k.get("key_alias") == alias]

    def models(self) -> dict[str, dict[str, Any]]:
        rows = self.call("GET", "/model/info")["data"]
        return {
            m["model_info"]["id"]: m for m in rows if self._mine(m.get("model_info", {}).get("id"))
        }

    def key_info(self, token: str) -> dict[str, Any]:
        return dict(self.call("GET", "/key/info", params={"key": token})["info"])

    def seed(self) -> None:
        """The objects every test expects: a pinned key and a key this tool did not create."""
        self.call("POST", "/key/generate", json={
            "key": self.pinned_raw, "key_alias": self.pinned_alias,
            "metadata": {"owner": "sileya", "role": "admin-agent"}})
        self.call("POST", "/key/generate", json={
            "key_alias": self.unmanaged_alias, "models": [self.name("MiniMax-M2.5")],
            "metadata": {"owner": "ops"}})

    # -- an internal user: what a non-admin can write on the gateway --------------------------
    def internal_user(self, base: str = "evil") -> str:
        """A new internal user's own key (raw, test-side only): it may create keys for itself
        with any alias and metadata, as LiteLLM allows."""
        user = self.name(base)
        self.call("POST", "/user/new", json={
            "user_id": user, "user_role": "internal_user", "auto_create_key": False})
        self.users.append(user)
        made = self.call("POST", "/key/generate", json={
            "user_id": user, "key_alias": self.name(f"{base}-own")})
        return str(made["key"])

    def as_user(self, raw: str, method: str, path: str, **kwargs: Any) -> Any:
        with httpx.Client(base_url=self.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {raw}"}) as http:
            response = http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def cleanup(self) -> None:
        tokens = [k["token"] for k in self._all_keys() if self._mine(k.get("key_alias"))]
        if tokens:
            self.call("POST", "/key/delete", json={"keys": tokens})
        for model_id in self.models():
            with self.http() as http:
                http.post("/model/delete", json={"id": model_id})
        self._cleanup_teams()
        if self.users:
            with self.http() as http:
                http.post("/user/delete", json={"user_ids": self.users})

    def teams(self) -> dict[str, dict[str, Any]]:
        """Live teams of this namespace by alias."""
        rows = self.call("GET", "/v2/team/list", params={"page_size": 100})
        found, page = list(rows["teams"]), 1
        while page < rows["total_pages"]:
            page += 1
            rows = self.call("GET", "/v2/team/list", params={"page_size": 100, "page": page})
            found += rows["teams"]
        return {t["team_alias"]: t for t in found if self._mine(t.get("team_alias"))}

    def namespace_users(self) -> dict[str, dict[str, Any]]:
        rows = self.call("GET", "/user/list", params={"page_size": 100})["users"]
        return {u["user_id"]: u for u in rows if self._mine(u.get("user_id"))}

    def budgets(self) -> dict[str, dict[str, Any]]:
        return {b["budget_id"]: b for b in self.call("GET", "/budget/list")
                if self.prefix in str(b.get("budget_id"))}

    def _cleanup_teams(self) -> None:
        with self.http() as http:
            teams = [t["team_id"] for t in self.teams().values()]
            if teams:
                http.post("/team/delete", json={"team_ids": teams})
            users = list(self.namespace_users())
            if users:
                http.post("/user/delete", json={"user_ids": users})
            for budget in self.budgets():
                http.post("/budget/delete", json={"id": budget})

    def _mine(self, name: object) -> bool:
        return isinstance(name, str) and name.startswith(self.prefix + "-")

    def _all_keys(self) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            body = self.call("GET", "/key/list", params={
                "return_full_object": "true", "size": 100, "page": page})
            yield from body["keys"]
            if page >= body["total_pages"]:
                return
            page += 1
