"""Carry out a Plan through the gateway client, phase by phase; stop at the first failure.

The report says, for every change, whether it was done, failed, or not attempted, so a failed
apply can be read, fixed and re-run: the next plan starts from the live state and converges.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.engine.plan import Plan
from reconciler.core.errors import GatewayError, ReconcilerError, SecretSinkError
from reconciler.core.registry import kind, phase_of
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.registry import GATEWAY_KINDS
from reconciler.gateway.sinks import SecretSink


class StepStatus(str, Enum):
    DONE = "done"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True)
class StepResult:
    change: Change
    status: StepStatus
    message: str = ""

    @property
    def data(self) -> dict[str, Any]:
        return {
            "address": self.change.address,
            "action": self.change.action,
            "target": self.change.target,
            "status": self.status.value,
            "message": self.message,
        }


@dataclass
class ApplyReport:
    results: list[StepResult] = field(default_factory=list)
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.status is StepStatus.DONE for r in self.results)

    def count(self, status: StepStatus) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "done": self.count(StepStatus.DONE),
            "failed": self.count(StepStatus.FAILED),
            "not_attempted": self.count(StepStatus.NOT_ATTEMPTED),
            "interrupted": self.interrupted,
            "warnings": self.warnings,
            "steps": [r.data for r in self.results],
        }


def apply_plan(
    plan: Plan,
    client: GatewayClient,
    sink: SecretSink | None,
    *,
    on_step: Callable[[StepResult], None] = lambda _: None,
    check: Callable[[], None] = lambda: None,
    guard: Callable[[Change], None] | None = None,
) -> ApplyReport:
    """Run the plan phase by phase (one phase per kind and verb, in the registry's order), up to
    the client's
    parallelism at once within a phase. The first hard failure, a lost lease (`check`) or
    Ctrl-C starts nothing more; calls in flight finish and are reported as they ended."""
    if sink is None and any(kind(c.kind).needs_sink(c) for c in plan.changes):
        # Checked before the first call: a key nobody can hold the secret of must never exist.
        raise SecretSinkError(
            "the plan creates keys: choose --secrets-out FILE or --secrets-cmd CMD"
        )
    executor = _Executor(client, sink, check, guard)
    changes = list(plan.changes)
    results: list[StepResult | None] = [None] * len(changes)
    report = ApplyReport()
    for phase in _phases(changes):

        def done(index: int, result: StepResult, phase: list[int] = phase) -> None:
            results[phase[index]] = result
            on_step(result)

        def abandoned(index: int, phase: list[int] = phase) -> None:
            done(index, StepResult(changes[phase[index]], StepStatus.FAILED, INTERRUPTED))

        if executor.stop.is_set():
            break
        if client.pool.run_bounded(
            [changes[i] for i in phase], executor.attempt, stop=executor.stop,
            on_result=done, on_abandoned=abandoned, on_interrupt=client.retry.halt.set,
        ):
            report.interrupted = True
    for index, result in enumerate(results):
        if result is None:
            results[index] = StepResult(changes[index], StepStatus.NOT_ATTEMPTED)
            on_step(results[index])  # type: ignore[arg-type]
    report.results.extend(r for r in results if r is not None)
    if not executor.stop.is_set():
        report.warnings.extend(executor.finish(changes, on_step, report))
    return report


INTERRUPTED = "interrupted: this change may or may not have been made"


def _phases(changes: list[Change]) -> list[list[int]]:
    """Indexes of the plan's changes grouped by kind and verb, in apply order."""
    phases: dict[int, list[int]] = {}
    for index, change in enumerate(changes):
        phases.setdefault(phase_of(change), []).append(index)
    return [phases[phase] for phase in sorted(phases)]


class _Executor:
    def __init__(
        self,
        client: GatewayClient,
        sink: SecretSink | None,
        check: Callable[[], None] = lambda: None,
        guard: Callable[[Change], None] | None = None,
    ) -> None:
        self.client = client
        self.check = check
        self.guard = guard
        self.stop = threading.Event()
        # One writer per kind for the whole apply: a writer keeps what it learns on the way.
        self.writers = {name: gk.writer(client, sink) for name, gk in GATEWAY_KINDS.items()}

    def attempt(self, change: Change) -> StepResult:
        """One change on a worker thread: its result, never an exception."""
        try:
            self.check()
            return StepResult(change, StepStatus.DONE, self.run(change))
        except ReconcilerError as exc:
            self.stop.set()
            return StepResult(change, StepStatus.FAILED, str(exc))

    def run(self, change: Change) -> str:
        if self.guard is not None:
            self.guard(change)  # raises before any call for a change that breaks a promise
        writer = self.writers.get(change.kind)
        handler: Callable[[Change], str] | None = getattr(writer, change.verb.value, None)
        if handler is None:
            raise ReconcilerError(f"{change.address}: nothing can {change.verb.value} a "
                                  f"{change.kind}")
        return handler(change)

    def finish(
        self, changes: list[Change], on_step: Callable[[StepResult], None], report: ApplyReport
    ) -> list[str]:
        """Each writer's last word on the whole apply (the key writer's duplicate check);
        warnings for the checks that could not run."""
        warnings = []
        for name, writer in self.writers.items():
            # A revocation some replica did not confirm: done in the database, and the report
            # says until when that replica may still accept the key.
            revoker = getattr(writer, "revoker", None)
            warnings.extend(f"{f.address}: {f.text()}" for f in getattr(revoker, "in_force", ())
                            if not f.ok)
            finish = getattr(writer, "finish", None)
            if finish is None:
                continue
            try:
                report.results.extend(finish(changes, self.attempt, on_step))
            except GatewayError as exc:  # the next plan retires duplicates all the same
                warnings.append(f"could not check for duplicate {kind(name).plural}: {exc}")
        return warnings
