"""How a plan of a team-shaped estate reads the gateway: pages per list, the largest page
sizes, the lists side by side, never more than --parallelism requests in flight."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter

import httpx
import pytest

from reconciler.commands.common import read_live
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.kinds import team, user
from reconciler.gateway.kinds.team import TEAM_PAGE
from reconciler.gateway.kinds.user import USER_PAGE
from reconciler.gateway.retry import NO_RETRY
from tests.unit.builders import key_row

KINDS = ["key", "model", "budget", "user", "team"]


class PagedGateway:
    """/key/list, /user/list and /v2/team/list over rows, paged as LiteLLM 1.108.7 pages them
    (and refusing a page larger than 100, as it does); /budget/list and /model/info whole."""

    def __init__(self, keys: int, users: int, teams: int) -> None:
        self.rows = {
            "/key/list": [key_row(f"agent-{i}") for i in range(keys)],
            "/user/list": [{"user_id": f"user-{i}", "user_role": "internal_user",
                            "teams": ["t"], "spend": 0.0, "metadata": {}}
                           for i in range(users)],
            "/v2/team/list": [{"team_id": f"team-{i}", "team_alias": f"team-{i}",
                               "models": ["m"], "members_with_roles": [], "spend": 0.0,
                               "keys_count": 3, "metadata": {}} for i in range(teams)],
        }
        self.seen: list[httpx.Request] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.gate: threading.Barrier | None = None  # page 1 of every list waits for the others
        self.delay = 0.0  # seconds each answer takes

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.seen.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return self._answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/model/info":
            return httpx.Response(200, json={"data": []})
        if path == "/budget/list":
            return httpx.Response(200, json=[])
        if params.get("role") == "proxy_admin":
            return httpx.Response(200, json={"users": [], "total": 0, "total_pages": 0})
        size = int(params.get("size") or params.get("page_size"))
        if size > 100:
            return httpx.Response(422, json={"detail": "Input should be <= 100"})
        page = int(params["page"])
        if page == 1 and self.gate is not None:
            self.gate.wait(timeout=5)
        rows = self.rows[path]
        chunk = rows[(page - 1) * size:page * size]
        if path == "/key/list":
            return httpx.Response(200, json={"keys": chunk, "total_count": len(rows)})
        field = "users" if path == "/user/list" else "teams"
        return httpx.Response(200, json={field: chunk, "total": len(rows), "page": page,
                                         "total_pages": math.ceil(len(rows) / size)})

    def client(self, parallelism: int = 8) -> GatewayClient:
        return GatewayClient("http://fake", "sk-admin-0000000000", retry=NO_RETRY,
                             transport=httpx.MockTransport(self.handle),
                             parallelism=parallelism)

    def pages(self, path: str) -> list[int]:
        return sorted(int(r.url.params["page"]) for r in self.seen
                      if r.url.path == path and r.url.params.get("role") != "proxy_admin")


@pytest.mark.parametrize(("teams", "users"), [(0, 0), (1, 1), (100, 100), (101, 250),
                                              (1000, 5000)])
def test_a_plan_of_n_teams_and_users_reads_ceil_n_over_100_pages_of_each(
        teams: int, users: int) -> None:
    gateway = PagedGateway(keys=1000, users=users, teams=teams)
    with gateway.client() as client:
        live = read_live(client, KINDS)
    assert (len(live.part("team")), len(live.part("user"))) == (teams, users)
    assert gateway.pages("/v2/team/list") == list(range(1, max(1, math.ceil(teams / 100)) + 1))
    assert gateway.pages("/user/list") == list(range(1, max(1, math.ceil(users / 100)) + 1))
    # Every page at the largest size the proxy takes.
    assert {r.url.params.get("page_size") for r in gateway.seen
            if r.url.path in ("/user/list", "/v2/team/list")} == {"100"}
    assert (TEAM_PAGE, USER_PAGE) == (100, 100)


def test_a_team_shaped_plan_makes_one_request_per_page_and_two_more() -> None:
    gateway = PagedGateway(keys=10_000, users=5_000, teams=1_000)
    with gateway.client() as client:
        read_live(client, KINDS)
        requests = client.request_count
    by_path = Counter(r.url.path for r in gateway.seen)
    # 100 key pages, 50 user pages and the one proxy-admin page, 10 team pages, 2 whole lists
    assert dict(by_path) == {"/key/list": 100, "/user/list": 51, "/v2/team/list": 10,
                             "/budget/list": 1, "/model/info": 1}
    assert requests == len(gateway.seen) == 163


def test_the_paged_lists_are_read_side_by_side() -> None:
    """Page 1 of the key, user and team lists is asked before any of them is answered: the
    lists do not wait for each other (the barrier breaks, failing the read, if one does)."""
    gateway = PagedGateway(keys=300, users=300, teams=300)
    gateway.gate = threading.Barrier(3)
    with gateway.client() as client:
        live = read_live(client, KINDS)
    assert not gateway.gate.broken
    assert (len(live.part("key")), len(live.part("user")), len(live.part("team"))) == (
        300, 300, 300)


@pytest.mark.parametrize("parallelism", [1, 3, 8])
def test_never_more_requests_in_flight_than_parallelism(parallelism: int) -> None:
    gateway = PagedGateway(keys=2_000, users=1_000, teams=500)
    gateway.delay = 0.005
    with gateway.client(parallelism) as client:
        read_live(client, KINDS)
    assert gateway.most_in_flight == parallelism
    assert len(gateway.seen) == 20 + 10 + 1 + 5 + 2


def test_rows_keep_only_what_the_plan_reads() -> None:
    gateway = PagedGateway(keys=1, users=1, teams=1)
    with gateway.client() as client:
        teams, users = team.read(client), user.read(client)
    assert "spend" not in teams[0] and "keys_count" not in teams[0]
    assert "spend" not in users[0] and "teams" not in users[0]
    assert (teams[0]["team_id"], users[0]["user_id"]) == ("team-0", "user-0")
