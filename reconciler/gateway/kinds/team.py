"""Teams on the gateway: the admin-API calls, how a plan reads them, how apply writes them.

Recorded on the real proxy (tests/recorded/teams/): /team/update replaces metadata whole and
takes `blocked`, so a block and the tool's record of it are one call; a member with role
`admin` is an Enterprise feature (400 "Assigning team admins is a premium feature"), which
apply reports in one line instead of the proxy's paragraph.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.errors import GatewayError, GatewayHTTPError, NotFound
from reconciler.core.kinds.team.schema import TEAM_LIMITS
from reconciler.gateway.paging import read_pages
from reconciler.gateway.revoke import Revoker
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient

TEAM_PAGE = 100  # the largest page_size /v2/team/list takes
# What a plan reads of a team row (core/kinds/team/live.py); the rest is dropped on arrival.
LIVE_TEAM_FIELDS = ("team_id", "team_alias", "models", *TEAM_LIMITS, "blocked", "metadata",
                    "members_with_roles", "litellm_model_table")


class TeamCalls(BaseClient):
    def list_teams(self, fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every team (with `fields`, only those of each row), pages read on the pool."""
        return read_pages(self.pool, self._team_page, "teams", "team_id", fields)

    def _team_page(self, page: int) -> dict[str, Any]:
        return dict(self._read("GET", "/v2/team/list", params={"page": page,
                                                               "page_size": TEAM_PAGE}))

    def team_by_id(self, team_id: str) -> dict[str, Any] | None:
        try:
            body = self._read("GET", "/team/info", params={"team_id": team_id})
        except NotFound:
            return None
        return dict(body.get("team_info") or {}) or None

    def create_team(self, body: dict[str, Any]) -> dict[str, Any]:
        team_id = str(body["team_id"])
        return dict(self.retry.call(lambda: self._call("POST", "/team/new", json=body),
                                    verify=lambda: self.team_by_id(team_id)))

    def update_team(self, team_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/team/update", json={"team_id": team_id, **fields}))

    def team_member(self, action: str, team_id: str, body: dict[str, Any]) -> None:
        """member_add / member_delete / member_update, one member at a time."""
        if action == "add":
            self._read("POST", "/team/member_add", json={"team_id": team_id, "member": [body]})
        else:
            path = "/team/member_delete" if action == "remove" else "/team/member_update"
            self._read("POST", path, json={"team_id": team_id, **body})

    def delete_team(self, team_id: str) -> None:
        def gone() -> dict[str, Any] | None:
            return None if self.team_by_id(team_id) else {"deleted_teams": [team_id]}

        self.retry.call(lambda: self._call("POST", "/team/delete", json={"team_ids": [team_id]}),
                        verify=gone)


def read(client: TeamCalls) -> list[dict[str, Any]]:
    return client.list_teams(fields=LIVE_TEAM_FIELDS)


class TeamWriter:
    def __init__(self, client: TeamCalls, sink: SecretSink | None) -> None:
        self.client = client
        self.revoker = Revoker(client)  # a block goes to every replica named

    def create(self, change: Change) -> str:
        with _enterprise(change):
            self.client.create_team(change.after)
        return "created"

    def update(self, change: Change) -> str:
        fields = {k: v for k, v in change.after.items() if k != "members"}
        self.client.update_team(str(change.ref), fields)
        ops = (change.spec or {}).get("members") or {}
        with _enterprise(change):
            for action in ("remove", "add", "role"):
                for member in ops.get(action, []):
                    self.client.team_member(action, str(change.ref), member)
        return "updated " + ", ".join(sorted(change.after))

    def adopt(self, change: Change) -> str:
        self.update(change)
        return "adopted (marker stamped; id, keys and spend kept)"

    def block(self, change: Change) -> str:
        fields = _blocked(change, True)
        force = self.revoker.team_block(change.address, str(change.ref), fields,
                                        lambda: self.client.update_team(str(change.ref), fields))
        return f"blocked; {force.text()}"

    def unblock(self, change: Change) -> str:
        self.client.update_team(str(change.ref), _blocked(change, False))
        return "unblocked"

    def delete(self, change: Change) -> str:
        self.client.delete_team(str(change.ref))
        return "deleted"


def _blocked(change: Change, blocked: bool) -> dict[str, Any]:
    """One /team/update body: the blocked state and, with it, the tool's record of it."""
    return {"blocked": blocked, "metadata": (change.spec or {}).get("metadata")}


class _enterprise:
    """Turns the proxy's Enterprise refusal into one line naming the team."""

    def __init__(self, change: Change) -> None:
        self.change = change

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, GatewayHTTPError) and "premium feature" in exc.detail:
            raise GatewayError(
                f"team {self.change.target!r}: a member with role admin needs LiteLLM "
                "Enterprise (the proxy answered 400: Assigning team admins is a premium "
                "feature); declare the member with role: user") from None
