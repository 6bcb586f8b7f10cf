"""The apply lease against both gateways: one holder, waits, expiry, takeover, races."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from reconciler.core.errors import LeaseError
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.lease import Lease, is_lease_row
from reconciler.gateway.retry import RetryPolicy
from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.e2e.gateways import REAL_SKIP_REASON, real_gateway_env


@pytest.fixture(params=["sandbox", "real"])
def client(request: pytest.FixtureRequest) -> Iterator[GatewayClient]:
    retry = RetryPolicy(base=0.05)
    if request.param == "sandbox":
        with SandboxGateway(seed=False) as sandbox, GatewayClient(
            sandbox.base_url, DEFAULT_MASTER_KEY, retry=retry
        ) as gateway_client:
            yield gateway_client
        return
    real = real_gateway_env()
    if real is None:
        pytest.skip(REAL_SKIP_REASON)
    with GatewayClient(*real, retry=retry) as gateway_client:
        # The real proxy is shared: wait for whoever holds it (another suite's apply).
        with Lease(gateway_client, wait=300):
            pass
        yield gateway_client


def _lease(client: GatewayClient, **kw: float) -> Lease:
    return Lease(client, ttl=kw.pop("ttl", 30.0), wait=kw.pop("wait", 0.0), **kw)  # type: ignore[arg-type]


def test_one_holder_at_a_time_and_release_lets_the_next_in(client: GatewayClient) -> None:
    first = _lease(client)
    first.acquire()
    try:
        first.check()
        with pytest.raises(LeaseError, match="another apply is writing to this gateway"):
            _lease(client).acquire()
    finally:
        first.release()
    with _lease(client) as second:
        second.check()


def test_waiting_for_the_holder_says_so_and_then_takes_over(client: GatewayClient) -> None:
    first = _lease(client)
    first.acquire()
    said: list[str] = []
    threading.Timer(1.0, first.release).start()
    with _lease(client, wait=20.0, on_wait=said.append) as second:  # type: ignore[arg-type]
        second.check()
    assert len(said) == 1 and said[0].startswith("Waiting for another apply to finish")


def test_a_dead_holder_expires_and_the_survivor_notices_it_lost(client: GatewayClient) -> None:
    dead = _lease(client, ttl=30.0)
    dead.acquire()
    dead._stop.set()  # kill -9: no more heartbeats, no release
    later = _lease(client, wall=lambda: time.time() + 60)  # type: ignore[arg-type]
    later.acquire()  # 60 s later by the clock: the dead holder's 30 s are over
    try:
        dead.renew()  # had it only been paused, its next heartbeat finds the newer holder
        with pytest.raises(LeaseError, match="took over"):
            dead.check()
        later.check()
    finally:
        later.release()


def test_a_paused_holder_stops_itself_before_it_could_be_taken_over(
    client: GatewayClient,
) -> None:
    now = [0.0]
    paused = _lease(client, ttl=30.0, mono=lambda: now[0])  # type: ignore[arg-type]
    paused.acquire()
    try:
        now[0] = 25.0  # SIGSTOP for 25 s of a 30 s lease: no heartbeat got through
        with pytest.raises(LeaseError, match="could not be renewed in time"):
            paused.check()
    finally:
        paused.release()


def test_of_eight_racing_applies_exactly_one_wins(client: GatewayClient) -> None:
    contenders = [_lease(client) for _ in range(8)]
    barrier = threading.Barrier(8)
    won: list[Lease] = []
    errors: list[str] = []

    def race(lease: Lease) -> None:
        barrier.wait()
        try:
            lease.acquire()
            won.append(lease)
        except LeaseError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=race, args=(c,)) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(won) == 1, errors
        assert len(errors) == 7
    finally:
        for lease in won:
            lease.release()


def test_the_lease_is_a_blocked_key_that_grants_nothing(client: GatewayClient) -> None:
    with _lease(client) as lease:
        rows = [r for r in client.find_keys_by_alias("reconciler-lease/", substring=True)
                if is_lease_row(r)]
        mine = [r for r in rows if r["metadata"]["holder"] == lease.holder]
        assert len(mine) == 1
        assert mine[0]["blocked"] is True
        assert mine[0]["models"] == ["reconciler-lease-no-model"]
        assert mine[0]["max_budget"] == 0
