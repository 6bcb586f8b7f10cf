"""Revocations on every replica: what is one, where it is sent, what is said when a replica
is down, answers 500, or is no LiteLLM proxy at all."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.errors import ReconcilerError
from reconciler.core.kinds.key.revocation import is_revocation
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.kinds.key import KeyWriter
from reconciler.gateway.replicas import Replicas, parse_replica_urls

BASE, A, B = "http://lb:4000", "http://a:4000", "http://b:4000"


@pytest.mark.parametrize(("before", "after", "revokes"), [
    ({"models": ["x", "y"]}, {"models": ["x"]}, True),
    ({"models": ["x"]}, {"models": ["x", "y"]}, False),
    ({"models": None}, {"models": ["x"]}, True),  # from every model to one
    ({"max_budget": 50}, {"max_budget": 5}, True),
    ({"max_budget": 5}, {"max_budget": 50}, False),
    ({"rpm_limit": None}, {"rpm_limit": 5}, True),
    ({"rpm_limit": 5}, {"rpm_limit": None}, False),
    ({}, {"duration": "1d"}, True),
    ({}, {"metadata": {"team": "a"}}, False),
])
def test_what_narrows_a_key(before: dict[str, Any], after: dict[str, Any], revokes: bool) -> None:
    assert is_revocation(Change("key", Verb.UPDATE, "a", before=before, after=after)) is revokes


def test_blocks_and_deletes_revoke_creates_and_rotations_do_not() -> None:
    assert is_revocation(Change("key", Verb.BLOCK, "a"))
    assert is_revocation(Change("key", Verb.DELETE, "a"))
    assert not is_revocation(Change("key", Verb.CREATE, "a"))
    assert not is_revocation(Change("key", Verb.ROTATE, "a"))  # its retirement is a block
    assert not is_revocation(Change("model", Verb.DELETE, "m"))


def test_replica_urls_and_one_dns_name_for_every_pod() -> None:
    assert parse_replica_urls(" http://a:1/  http://b:2 http://a:1") == ["http://a:1", "http://b:2"]
    pods = parse_replica_urls("dns+http://litellm-headless:4000",
                              resolve=lambda host, port: ["10.0.0.7", "10.0.0.5", "fd00::1"])
    assert pods == ["http://10.0.0.7:4000", "http://10.0.0.5:4000", "http://[fd00::1]:4000"]
    with pytest.raises(ReconcilerError, match="not an http"):
        parse_replica_urls("litellm:4000")


class Fleet:
    """A base URL and two replicas; each replica may be down, answer 500, or be a web page."""

    def __init__(self, broken: dict[str, str] | None = None) -> None:
        self.broken = broken or {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        origin = f"http://{request.url.host}:{request.url.port}"
        body = json.loads(request.content) if request.content else {}
        self.calls.append((origin, request.url.path, body))
        state = self.broken.get(origin)
        if state == "down":
            raise httpx.ConnectError("connection refused")
        if state == "500":
            return httpx.Response(500, json={"error": {"message": "boom"}})
        if state == "html":
            return httpx.Response(200, text="<html>hello</html>",
                                  headers={"content-type": "text/html"})
        if request.url.path == "/config/field/info":
            return httpx.Response(400, json={"detail": {"error": "Invalid field"}})
        return httpx.Response(200, json={"token": body.get("key"), "blocked": True})

    def writer(self) -> KeyWriter:
        transport = httpx.MockTransport(self.handle)
        client = GatewayClient(BASE, "sk-admin-0000000000", transport=transport)
        client.replicas = Replicas([A, B], "sk-admin-0000000000", transport=transport)
        return KeyWriter(client, None)


def test_a_block_goes_through_the_base_url_then_to_every_replica() -> None:
    fleet = Fleet()
    message = fleet.writer().block(Change("key", Verb.BLOCK, "a", ref="tok-a"))
    assert fleet.calls[0] == (BASE, "/key/block", {"key": "tok-a"})
    assert sorted(fleet.calls[1:]) == [(A, "/key/block", {"key": "tok-a"}),
                                       (B, "/key/block", {"key": "tok-a"})]
    assert message.startswith("blocked; in force on every replica (2) ")


def test_a_delete_is_blocked_everywhere_first() -> None:
    fleet = Fleet()
    message = fleet.writer().delete(Change("key", Verb.DELETE, "a", ref="tok-a"))
    paths = [(origin, path) for origin, path, _ in fleet.calls]
    assert paths[0] == (BASE, "/key/block")
    assert sorted(paths[1:3]) == [(A, "/key/block"), (B, "/key/block")]
    assert paths[3] == (BASE, "/key/delete")
    assert "deleted (blocked first); in force on every replica (2)" in message


def test_a_narrowing_update_is_sent_to_every_replica_a_widening_one_is_not() -> None:
    fleet = Fleet()
    writer = fleet.writer()
    writer.update(Change("key", Verb.UPDATE, "a", ref="tok-a", before={"models": ["x"]},
                         after={"models": ["x", "y"]}))
    assert [origin for origin, _, _ in fleet.calls] == [BASE]
    writer.update(Change("key", Verb.UPDATE, "a", ref="tok-a", before={"models": ["x", "y"]},
                         after={"models": ["x"]}))
    assert sorted(fleet.calls[2:]) == [(A, "/key/update", {"key": "tok-a", "models": ["x"]}),
                                       (B, "/key/update", {"key": "tok-a", "models": ["x"]})]


@pytest.mark.parametrize(("state", "said"), [
    ("down", "cannot reach the gateway at http://b:4000"),
    ("500", "HTTP 500 boom"),
    ("html", "answered 200 with text/html, not JSON"),
])
def test_a_replica_that_does_not_confirm_is_named_with_the_bound(state: str, said: str) -> None:
    fleet = Fleet({B: state})
    writer = fleet.writer()
    message = writer.block(Change("key", Verb.BLOCK, "a", ref="tok-a"))
    assert "NOT confirmed on 1 of 2 replicas (http://b:4000: " in message
    assert said in message
    assert message.endswith("that replica may accept this key for up to 60 s (LiteLLM's default)")
    assert not writer.revoker.in_force[0].ok


def test_with_no_replicas_named_the_bound_is_said() -> None:
    fleet = Fleet()
    client = GatewayClient(BASE, "sk-admin-0000000000",
                           transport=httpx.MockTransport(fleet.handle))
    message = KeyWriter(client, None).block(Change("key", Verb.BLOCK, "a", ref="tok-a"))
    assert message == ("blocked; other replicas may accept this key for up to 60 s (LiteLLM's "
                       "default); name them in $LITELLM_REPLICA_URLS to make it immediate")


def test_the_version_is_read_and_warned_outside_the_tested_range() -> None:
    from reconciler.gateway.version import (
        NEWEST_TESTED,
        OLDEST_TESTED,
        proxy_version,
        version_warning,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"info": {"title": "LiteLLM API", "version": "1.97.0"}})

    client = GatewayClient(BASE, "sk-admin-0000000000", transport=httpx.MockTransport(handler))
    assert proxy_version(client) == "1.97.0"
    assert proxy_version(client, {"litellm_version": "1.108.7"}) == "1.108.7"
    assert version_warning(OLDEST_TESTED) is None and version_warning(NEWEST_TESTED) is None
    assert version_warning("1.97.0") == (
        f"the gateway runs LiteLLM 1.97.0; this version of reconciler is tested on "
        f"{OLDEST_TESTED} to {NEWEST_TESTED} (README: Compatibility)")
    assert "compromised" in str(version_warning("1.82.7"))
    assert version_warning(None) is None


def test_replicas_come_from_the_environment_or_only_from_the_target_s_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    from reconciler.commands.common import open_client

    monkeypatch.setenv("LITELLM_REPLICA_URLS", "http://a:4000 http://b:4000")
    monkeypatch.delenv("RECONCILER_RETRY_BASE", raising=False)
    base = {"base_url": BASE, "admin_key": "sk-admin-0000000000", "timeout": 5.0}
    with open_client(argparse.Namespace(**base)) as client:
        assert client.replicas is not None and client.replicas.urls == [A, B]
    # A target that names its gateway (replica_urls set by targets.py): never LITELLM_*'s.
    with open_client(argparse.Namespace(**base, replica_urls="")) as client:
        assert client.replicas is None
    with open_client(argparse.Namespace(**base, replica_urls="http://c:1")) as client:
        assert client.replicas is not None and client.replicas.urls == ["http://c:1"]


def test_wait_polls_every_replica_until_it_serves_the_change_or_the_deadline() -> None:
    from reconciler.gateway.wait import wait_served

    class Replica:
        def __init__(self, url: str, serves_after: int) -> None:
            self.base_url, self.left = url, serves_after

        def model_by_id(self, model_id: str) -> dict[str, Any] | None:
            self.left -= 1
            return ({"model_info": {"id": model_id, "reconciler": {"sha256": "s1"}}}
                    if self.left < 0 else None)

    created = Change("model", Verb.CREATE, "m1",
                     after={"model_info": {"id": "m1", "reconciler": {"sha256": "s1"}}})
    now = [0.0]
    said: list[str] = []
    served = wait_served([Replica(A, 0), Replica(B, 7)], [created], 30, said.append,
                         reloaded=True, clock=lambda: now[0],
                         sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert served[0].seconds == 7.0 and served[0].text(2) == (
        "model.m1: served by every replica (2) 7.0 s after apply")
    assert said and "1 model change(s) not yet served" in said[0]
    now[0] = 0.0
    late = wait_served([Replica(A, 0), Replica(B, 99)], [created], 10, said.append,
                       reloaded=True, clock=lambda: now[0],
                       sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert late[0].seconds is None and late[0].text(2).startswith(
        "model.m1: NOT served by http://b:4000 after the wait")


class TeamFleet(Fleet):
    def handle(self, request: httpx.Request) -> httpx.Response:
        answer = super().handle(request)
        if request.url.path != "/team/update" or answer.status_code != 200:
            return answer
        body = json.loads(request.content)
        return httpx.Response(200, json={"team_id": body["team_id"],
                                         "data": {"team_id": body["team_id"], "blocked": True}})

    def team_writer(self) -> Any:
        from reconciler.gateway.kinds.team import TeamWriter

        transport = httpx.MockTransport(self.handle)
        client = GatewayClient(BASE, "sk-admin-0000000000", transport=transport)
        client.replicas = Replicas([A, B], "sk-admin-0000000000", transport=transport)
        return TeamWriter(client, None)


def test_a_team_block_is_one_team_update_through_the_base_url_then_on_every_replica() -> None:
    fleet = TeamFleet()
    record = {"managed_by": "reconciler"}
    message = fleet.team_writer().block(Change("team", Verb.BLOCK, "research", ref="t-1",
                                               spec={"metadata": record}))
    sent = {"team_id": "t-1", "blocked": True, "metadata": record}
    # /team/block would leave each replica's cached team unblocked for up to its cache's life.
    assert fleet.calls[0] == (BASE, "/team/update", sent)
    assert sorted(fleet.calls[1:]) == [(A, "/team/update", sent), (B, "/team/update", sent)]
    assert message.startswith("blocked; in force on every replica (2) ")


def test_a_replica_that_does_not_confirm_a_team_block_is_named_with_the_bound() -> None:
    fleet = TeamFleet({B: "500"})
    message = fleet.team_writer().block(Change("team", Verb.BLOCK, "research", ref="t-1",
                                               spec={"metadata": {}}))
    assert "NOT confirmed on 1 of 2 replicas (http://b:4000: HTTP 500 boom" in message
    assert message.endswith("that replica may accept this team's keys for up to 60 s "
                            "(LiteLLM's default)")
