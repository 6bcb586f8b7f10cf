"""apply_plan in parallel: bounded calls in flight, phases in order, a clean stop, no duplicates."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import httpx

from reconciler.commands.progress import Progress
from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.core.errors import LeaseError
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import StepResult, StepStatus, apply_plan
from reconciler.gateway.retry import RetryPolicy
from tests.unit.fake_gateway import FakeGateway
from tests.unit.test_apply import KEY_SPEC, RecordingSink


class SlowGateway(FakeGateway):
    """Each call takes `pause` seconds; records how many were in flight at once."""

    def __init__(self, pause: float = 0.02, **kw: Any) -> None:
        super().__init__(**kw)
        self.pause = pause
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.events.append(("start", request.url.path))
        time.sleep(self.pause)
        with self.lock:
            answer = super().handle(request)
            self.in_flight -= 1
            self.events.append(("end", request.url.path))
        return answer


def _client(fake: FakeGateway, parallelism: int) -> GatewayClient:
    return GatewayClient("http://fake", "sk-admin-0000000000",
                         transport=httpx.MockTransport(fake.handle),
                         retry=RetryPolicy(sleep=lambda _: None), parallelism=parallelism)


def _blocks(count: int) -> tuple[Change, ...]:
    return tuple(Change("key", Verb.BLOCK, f"a{i:02d}", ref=f"tok-{i:02d}")
                 for i in range(count))


def test_a_phase_runs_up_to_parallelism_calls_at_once() -> None:
    fake = SlowGateway()
    report = apply_plan(Plan(changes=_blocks(12)), _client(fake, 4), None)
    assert report.ok and report.count(StepStatus.DONE) == 12
    assert fake.peak == 4


def test_parallelism_one_is_serial() -> None:
    fake = SlowGateway(pause=0.005)
    assert apply_plan(Plan(changes=_blocks(5)), _client(fake, 1), None).ok
    assert fake.peak == 1


def test_a_phase_ends_before_the_next_begins() -> None:
    fake = SlowGateway()
    models = tuple(Change("model", Verb.CREATE, f"m{i}", after={"model_info": {"id": f"m{i}"}})
                   for i in range(5))
    assert apply_plan(Plan(changes=models + _blocks(5)), _client(fake, 8), None).ok
    last_model_end = max(i for i, e in enumerate(fake.events) if e == ("end", "/model/new"))
    first_block = fake.events.index(("start", "/key/block"))
    assert last_model_end < first_block


def test_first_hard_failure_starts_nothing_more_and_reports_exactly() -> None:
    fake = SlowGateway(pause=0.05,
                       fail={"POST /key/block": (400, {"detail": "no"})},
                       fail_times={"POST /key/block": 1})
    seen: list[StepResult] = []
    report = apply_plan(Plan(changes=_blocks(10)), _client(fake, 3), None, on_step=seen.append)
    statuses = [r.status for r in report.results]
    # Three started together; one was refused, the two in flight finished; seven never started.
    assert statuses.count(StepStatus.FAILED) == 1
    assert statuses.count(StepStatus.DONE) == 2
    assert statuses.count(StepStatus.NOT_ATTEMPTED) == 7
    assert fake.routes.count("POST /key/block") == 3
    assert len(seen) == 10


def test_a_lost_lease_stops_the_run_before_the_next_call() -> None:
    fake = FakeGateway()
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise LeaseError("another apply took over this gateway's lease; stopped")

    report = apply_plan(Plan(changes=_blocks(5)), _client(fake, 1), None, check=check)
    assert [r.status.value for r in report.results] == [
        "done", "done", "failed", "not_attempted", "not_attempted"]
    assert len([c for c in fake.calls if c[1] == "/key/block"]) == 2
    assert "lease" in report.results[2].message


def test_a_second_managed_key_for_a_created_alias_is_retired() -> None:
    marker = KEY_SPEC["metadata"]["managed_by"]
    stranger = {"token": "tok-other-run", "key_alias": "李狗蛋", "key_name": "sk-...zzzz",
                "metadata": {"managed_by": marker}, "created_at": "2026-01-01"}
    fake = FakeGateway(alias_rows=[stranger])
    sink = RecordingSink()
    original = fake.handle

    def with_created(request: httpx.Request) -> httpx.Response:
        answer = original(request)
        if request.url.path == "/key/generate":
            token = answer.json()["token"]
            fake.alias_rows.append({**stranger, "token": token, "created_at": "2026-02-02"})
        return answer

    fake.handle = with_created  # type: ignore[method-assign]
    client = _client(fake, 8)
    report = apply_plan(Plan(changes=(Change("key", Verb.CREATE, "李狗蛋", after=KEY_SPEC),)),
                        client,
                        sink)
    assert report.ok
    retired = report.results[-1]
    assert (retired.change.action, retired.change.ref) == ("delete_key", "tok-other-run")
    assert ("POST", "/key/delete", {"keys": ["tok-other-run"]}) in fake.calls


def test_progress_prints_every_step_of_a_small_run_and_periodic_lines_for_a_big_one() -> None:
    now = [0.0]
    small = io.StringIO()
    progress = Progress(2, small, live=False, clock=lambda: now[0])
    for change in _blocks(2):
        now[0] += 1
        progress.step(StepResult(change, StepStatus.DONE, "blocked"))
    assert small.getvalue() == "  [ok] block_key a00: blocked\n  [ok] block_key a01: blocked\n"

    big = io.StringIO()
    now[0] = 0.0
    progress = Progress(200, big, live=False, clock=lambda: now[0])
    for change in _blocks(200):
        now[0] += 0.125  # exact in binary: the 5 s marks fall on whole steps
        status = StepStatus.FAILED if change.target == "a07" else StepStatus.DONE
        progress.step(StepResult(change, status, "x"))
    lines = big.getvalue().splitlines()
    assert lines[0] == "  [FAILED] block_key a07: x"
    assert lines[1] == "  apply: 40/200 (20%), 8.0/s, ETA 20s"
    assert lines[-1] == "  apply: 200/200 (100%), 8.0/s, in 25s"
    assert len(lines) == 6


def test_progress_bar_on_a_terminal_is_redrawn_in_place() -> None:
    out = io.StringIO()
    progress = Progress(4, out, live=True, clock=lambda: 1.0)
    progress.step(StepResult(_blocks(1)[0], StepStatus.DONE, ""))
    progress.close()
    assert "\r\x1b[2K  [######------------------] 1/4 (25%)" in out.getvalue()
    assert out.getvalue().endswith("\r\x1b[2K")
