"""RetryPolicy and the client's retries: which failures, how long, and no write done twice."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from reconciler.core.errors import GatewayHTTPError, GatewayTimeout
from reconciler.gateway.client import GatewayClient, retry_after
from reconciler.gateway.retry import RetryPolicy, is_retryable
from tests.unit.fake_gateway import FakeGateway


def _http(status: int, after: float | None = None) -> GatewayHTTPError:
    return GatewayHTTPError(status=status, method="GET", path="/x", message="m", retry_after=after)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _policy(clock: Clock, **kw: Any) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=lambda: clock.now, rand=lambda: 1.0, **kw)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 529])
def test_overload_and_server_errors_are_retried(status: int) -> None:
    assert is_retryable(_http(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_client_errors_are_not(status: int) -> None:
    clock = Clock()
    calls = []

    def fail() -> None:
        calls.append(1)
        raise _http(status)

    with pytest.raises(GatewayHTTPError):
        _policy(clock).call(fail)
    assert calls == [1] and clock.waits == []


def test_backoff_doubles_up_to_the_cap_and_stops_after_the_attempts() -> None:
    clock = Clock()

    def fail() -> None:
        raise GatewayTimeout("slow")

    with pytest.raises(GatewayTimeout):
        _policy(clock, attempts=6, base=1, cap=5, budget=1000).call(fail)
    assert clock.waits == [1, 2, 4, 5, 5]


def test_jitter_keeps_at_least_half_the_backoff() -> None:
    policy = RetryPolicy(base=2, rand=lambda: 0.0)
    assert policy.delay(1, None) == 1.0
    assert policy.delay(2, None) == 2.0


def test_retry_after_is_honoured_even_above_the_backoff() -> None:
    clock = Clock()
    answers: list[Any] = [_http(429, after=7), "ok"]

    def call() -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert _policy(clock, base=0.1).call(call) == "ok"
    assert clock.waits == [7]


def test_the_time_budget_ends_retries_before_a_wait_would_cross_it() -> None:
    clock = Clock()

    def fail() -> None:
        raise _http(503, after=30)

    with pytest.raises(GatewayHTTPError):
        _policy(clock, budget=20).call(fail)
    assert clock.waits == []  # waiting 30 s would pass the 20 s budget: give up now


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0.5", 0.5), (None, None), ("soon", None),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_create_after_an_unclear_500_is_looked_up_and_not_sent_again() -> None:
    # The gateway commits the key, then the answer is lost (a 500 from a front proxy).
    fake = FakeGateway(fail={"POST /key/generate": (500, {"detail": "upstream reset"})},
                       fail_times={"POST /key/generate": 1}, commit_then_fail=True)
    raw = "sk-" + "a" * 40
    answer = fake.client().generate_key({"key": raw, "key_alias": "a"})
    assert answer["token"] == hashlib.sha256(raw.encode()).hexdigest()
    assert fake.routes == ["POST /key/generate", "GET /key/info"]


def test_create_whose_first_try_never_arrived_is_sent_again() -> None:
    fake = FakeGateway(fail={"POST /key/generate": (503, {"detail": "busy"})},
                       fail_times={"POST /key/generate": 2})
    fake.headers = {"Retry-After": "2"}
    fake.client().generate_key({"key": "sk-" + "b" * 40, "key_alias": "b"})
    assert fake.routes == ["POST /key/generate", "GET /key/info", "POST /key/generate",
                           "GET /key/info", "POST /key/generate"]
    assert fake.slept == [2.0, 2.0]


def test_a_refusal_after_an_unclear_try_is_checked_against_the_gateway() -> None:
    # Try 1 times out and is not yet committed when looked up; it commits late, so try 2 is
    # refused ("alias exists") by that very key: the key is there, with the secret we chose.
    raw = "sk-" + "c" * 40
    answers = iter([
        httpx.Response(504, json={"detail": "gateway timeout"}),
        httpx.Response(404, json={"error": {"message": "Key not found in database"}}),
        httpx.Response(400, json={"error": {"message": "Key with alias 'c' already exists."}}),
        httpx.Response(200, json={"info": {"status": "active"}}),
    ])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return next(answers)

    client = GatewayClient("http://fake", "sk-admin-0000000000",
                           transport=httpx.MockTransport(handler),
                           retry=RetryPolicy(sleep=lambda _: None))
    assert client.generate_key({"key": raw})["token"] == hashlib.sha256(raw.encode()).hexdigest()
    assert seen == ["POST /key/generate", "GET /key/info", "POST /key/generate", "GET /key/info"]


def test_delete_retried_after_it_happened_counts_as_done() -> None:
    fake = FakeGateway(fail={"POST /key/delete": (502, {"detail": "bad gateway"})},
                       fail_times={"POST /key/delete": 1})
    assert fake.client().delete_key("tok-gone") == {"deleted_keys": ["tok-gone"]}
    assert fake.routes == ["POST /key/delete", "GET /key/info"]
