"""Carry out a Plan through the gateway client, phase by phase; stop at the first failure.

The report says, for every change, whether it was done, failed, or not attempted, so a failed
apply can be read, fixed and re-run: the next plan starts from the live state and converges.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.changes import Action, Change, DeleteKey
from reconciler.core.diff_models import needs_recreate
from reconciler.core.errors import GatewayError, ReconcilerError, SecretSinkError
from reconciler.core.live import MARKER_FIELD, MODEL_RECORD_FIELD
from reconciler.core.masking import mask_key
from reconciler.core.plan import Plan
from reconciler.core.stamps import user_metadata
from reconciler.gateway.client import GatewayClient
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
            "action": self.change.action.value,
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
    """Run the plan phase by phase (one phase per Action, in Action order), up to the client's
    parallelism at once within a phase. The first hard failure, a lost lease (`check`) or
    Ctrl-C starts nothing more; calls in flight finish and are reported as they ended."""
    if sink is None and any(c.action is Action.CREATE_KEY for c in plan.changes):
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
    if executor.created and not executor.stop.is_set():
        try:
            report.results.extend(retire_duplicates(executor, changes, on_step))
        except GatewayError as exc:  # the next plan retires duplicates all the same
            report.warnings.append(f"could not check for duplicate keys: {exc}")
    return report


INTERRUPTED = "interrupted: this change may or may not have been made"


def _phases(changes: list[Change]) -> list[list[int]]:
    """Indexes of the plan's changes grouped by action, in apply order."""
    phases: dict[Action, list[int]] = {}
    for index, change in enumerate(changes):
        phases.setdefault(change.action, []).append(index)
    return [phases[action] for action in sorted(phases, key=lambda a: a.order)]


def retire_duplicates(
    executor: _Executor, changes: list[Change], on_step: Callable[[StepResult], None]
) -> list[StepResult]:
    """After creating keys: no alias may have two managed keys (e.g. an apply of an older
    version ran at the same time). The key this run created stays; extras are deleted."""
    markers = {
        (c.after.get("metadata") or {}).get(MARKER_FIELD)
        for c in changes
        if c.action is Action.CREATE_KEY
    }
    by_alias: dict[str, list[dict[str, Any]]] = {}
    for row in executor.client.list_keys():
        if (row.get("metadata") or {}).get(MARKER_FIELD) in markers and row.get("key_alias"):
            by_alias.setdefault(str(row["key_alias"]), []).append(row)
    results = []
    for alias, rows in sorted(by_alias.items()):
        if len(rows) < 2:
            continue
        keep = executor.created.get(alias) or min(
            rows, key=lambda r: (r.get("blocked") is True, str(r.get("created_at")))
        )["token"]
        for row in rows:
            if row["token"] == keep:
                continue
            extra = DeleteKey(
                target=alias, key_id=str(row["token"]), key_name=row.get("key_name"),
                before={"blocked": row.get("blocked") is True},
                reason="a second managed key for this alias (another apply ran at the same time)",
            )
            results.append(executor.attempt(extra))
            on_step(results[-1])
    return results


class _Executor:
    def __init__(
        self,
        client: GatewayClient,
        sink: SecretSink | None,
        check: Callable[[], None] = lambda: None,
        guard: Callable[[Change], None] | None = None,
    ) -> None:
        self.client = client
        self.sink = sink
        self.check = check
        self.guard = guard
        self.stop = threading.Event()
        self.created: dict[str, str] = {}  # alias -> token of the key this run created
        self.rotated_spend: dict[str, float] = {}  # token rotated out -> its spend then
        # Sinks (a file, a vault command) are not assumed to take two secrets at once.
        self._sink_lock = threading.Lock()

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
        handler: Callable[[Change], str] = getattr(self, f"_{change.action.value}")
        return handler(change)

    def _create_model(self, change: Change) -> str:
        self.client.create_model(change.after)
        return "created"

    def _update_model(self, change: Change) -> str:
        spec = change.spec or {}
        if needs_recreate(change.after):
            self.client.delete_model(change.target)
            self.client.create_model(spec)
            return "re-created"
        self._patch_model(change, spec)
        return "updated"

    def _adopt_model(self, change: Change) -> str:
        # Never re-created: adoption must keep the deployment (and its hidden secret) as it is.
        self._patch_model(change, change.spec or {})
        return "adopted (marker stamped)"

    def _patch_model(self, change: Change, spec: dict[str, Any]) -> None:
        info = spec.get("model_info", {})
        body: dict[str, Any] = {
            # PATCH merges model_info key by key; without "id" LiteLLM would invent one.
            "model_info": {
                **change.after.get("model_info", {}),
                "id": change.target,
                MARKER_FIELD: info.get(MARKER_FIELD),
                MODEL_RECORD_FIELD: info.get(MODEL_RECORD_FIELD),
            },
        }
        if "litellm_params" in change.after:
            body["litellm_params"] = change.after["litellm_params"]
        if "model_name" in change.after:
            body["model_name"] = change.after["model_name"]
        self.client.update_model(change.target, body)

    def _update_fallbacks(self, change: Change) -> str:
        fallbacks = (change.spec or {}).get("fallbacks", [])
        # The whole list is sent: /config/update replaces it, and [] clears it.
        self.client.update_router_settings({"fallbacks": fallbacks})
        return f"{len(fallbacks)} fallback group(s) set"

    def _delete_model(self, change: Change) -> str:
        self.client.delete_model(change.target)
        return "deleted"

    def _create_key(self, change: Change) -> str:
        """Secret first: the raw key is chosen here and stored in the sink BEFORE the gateway
        hears of it, so the gateway never holds a key whose secret the sink lacks. A sink
        failure creates nothing; an unclear create is looked up by token, never repeated."""
        assert self.sink is not None  # apply_plan checked this before any call
        raw = "sk-" + secrets.token_urlsafe(32)
        token = hashlib.sha256(raw.encode()).hexdigest()
        body = {k: v for k, v in change.after.items() if v is not None}
        if body.get("blocked") is False:
            body.pop("blocked")  # LiteLLM's default (null) already means "not blocked"
        body.update(self._carried_spend(change))
        with self._sink_lock:
            self.sink.deliver(agent=change.target, raw_key=raw, token=token)
        try:
            self.client.generate_key({**body, "key": raw})
        except GatewayError as exc:
            raise GatewayError(
                f"{exc} (the secret of {mask_key(raw)} is already in the sink: if the gateway "
                "made the key it is usable, if not the next apply creates it)"
            ) from None
        self.created[change.target] = token
        return f"created {mask_key(raw)}; secret delivered"

    def _carried_spend(self, change: Change) -> dict[str, float]:
        """A rotation's successor starts from the old key's spend, read when the old key was
        moved out (or now, when an earlier run moved it), so the budget does not restart."""
        source = (change.spec or {}).get("spend_from")
        if source is None:
            return {}
        spend = self.rotated_spend.get(str(source))
        if spend is None:
            row = self.client.key_by_token(str(source)) or {}
            spend = row.get("spend")
        return {"spend": float(spend)} if isinstance(spend, int | float) and spend > 0 else {}

    def _rotate_key(self, change: Change) -> str:
        # One call: the alias is freed for the successor, and the lifetime ends the grace.
        row = self.client.update_key(str(change.key_id), change.after)
        spend = row.get("spend")
        if isinstance(spend, int | float):
            self.rotated_spend[str(change.key_id)] = float(spend)
        return (f"moved to {change.after.get('key_alias')}; works for "
                f"{change.after.get('duration')} more")

    def _update_key(self, change: Change) -> str:
        self.client.update_key(str(change.key_id), change.after)
        return "updated " + ", ".join(_visible_fields(change))

    def _adopt_key(self, change: Change) -> str:
        # /key/update keeps the secret and the spend; only the listed fields are written.
        self.client.update_key(str(change.key_id), change.after)
        return "adopted (marker stamped; secret and spend kept)"

    def _block_key(self, change: Change) -> str:
        self._set_blocked(change, True)
        return "blocked"

    def _unblock_key(self, change: Change) -> str:
        self._set_blocked(change, False)
        return "unblocked"

    def _set_blocked(self, change: Change, blocked: bool) -> None:
        metadata = (change.spec or {}).get("metadata")
        if metadata is None:
            (self.client.block_key if blocked else self.client.unblock_key)(str(change.key_id))
            return
        # One call records, with the block, that the tool made it (see core/holds.py).
        self.client.update_key(str(change.key_id), {"blocked": blocked, "metadata": metadata})

    def _delete_key(self, change: Change) -> str:
        self.client.delete_key(str(change.key_id))
        return "deleted"


def _visible_fields(change: Change) -> list[str]:
    """The fields a person changed: metadata is always sent (it carries the tool's record),
    but named only when something besides the tool's bookkeeping in it changed."""
    names = sorted(change.after)
    if "metadata" in names and user_metadata(change.before.get("metadata") or {}) == (
        user_metadata(change.after["metadata"])
    ):
        names.remove("metadata")
    return names or ["the tool's record"]
