"""Carry out a Plan through the gateway client, in order; stop at the first failure.

The report says, for every change, whether it was done, failed, or not attempted, so a failed
apply can be read, fixed and re-run: the next plan starts from the live state and converges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.diff_models import needs_recreate
from reconciler.core.errors import GatewayError, GatewayHTTPError, ReconcilerError, SecretSinkError
from reconciler.core.live import MARKER_FIELD, MODEL_RECORD_FIELD, UNDELIVERED_FIELD
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

    @property
    def ok(self) -> bool:
        return all(r.status is StepStatus.DONE for r in self.results)

    def count(self, status: StepStatus) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "done": self.count(StepStatus.DONE),
            "failed": self.count(StepStatus.FAILED),
            "not_attempted": self.count(StepStatus.NOT_ATTEMPTED),
            "steps": [r.data for r in self.results],
        }


def apply_plan(
    plan: Plan,
    client: GatewayClient,
    sink: SecretSink | None,
    *,
    on_step: Callable[[StepResult], None] = lambda _: None,
    guard: Callable[[Change], None] | None = None,
) -> ApplyReport:
    if sink is None and any(c.action is Action.CREATE_KEY for c in plan.changes):
        # Checked before the first call: a key nobody can hold the secret of must never exist.
        raise SecretSinkError(
            "the plan creates keys: choose --secrets-out FILE or --secrets-cmd CMD"
        )
    executor = _Executor(client, sink, guard)
    report = ApplyReport()
    failed = False
    for change in plan.changes:
        if failed:
            result = StepResult(change, StepStatus.NOT_ATTEMPTED)
        else:
            try:
                message = executor.run(change)
                result = StepResult(change, StepStatus.DONE, message)
            except ReconcilerError as exc:
                failed = True
                result = StepResult(change, StepStatus.FAILED, str(exc))
            except KeyboardInterrupt:
                # Ctrl-C still leaves a report; the next plan shows what really happened.
                failed = True
                result = StepResult(
                    change,
                    StepStatus.FAILED,
                    "interrupted: this change may or may not have been made",
                )
        report.results.append(result)
        on_step(result)
    return report


class _Executor:
    def __init__(
        self,
        client: GatewayClient,
        sink: SecretSink | None,
        guard: Callable[[Change], None] | None = None,
    ) -> None:
        self.client = client
        self.sink = sink
        self.guard = guard

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
        assert self.sink is not None  # apply_plan checked this before any call
        body = {k: v for k, v in change.after.items() if v is not None}
        if body.get("blocked") is False:
            body.pop("blocked")  # LiteLLM's default (null) already means "not blocked"
        try:
            created = self.client.generate_key(body)
        except GatewayError as exc:
            self._quarantine_if_created(change, exc)
            raise
        raw = str(created["key"])
        token = str(created.get("token") or hashlib.sha256(raw.encode()).hexdigest())
        try:
            self.sink.deliver(agent=change.target, raw_key=raw, token=token)
        except SecretSinkError as exc:
            lost = f"key {mask_key(raw)} was created but its secret could not be stored ({exc})"
            try:
                self._quarantine(token, change.after.get("metadata", {}))
            except GatewayError as block_exc:
                raise SecretSinkError(
                    f"{lost}, and blocking it failed too ({block_exc}): delete the key with "
                    f"sha256 {token} by hand"
                ) from None
            raise SecretSinkError(
                f"{lost}; it is now blocked and the next apply replaces it"
            ) from None
        return f"created {mask_key(raw)}; secret delivered"

    def _quarantine_if_created(self, change: Change, exc: ReconcilerError) -> None:
        """After an unclear failure the key may exist anyway: block it if so, secret unknown."""
        if isinstance(exc, GatewayHTTPError) and exc.status < 500:
            return
        try:
            rows = self.client.find_keys_by_alias(change.target)
        except GatewayError:
            return
        marker = change.after.get("metadata", {}).get(MARKER_FIELD)
        for row in rows:
            if (row.get("metadata") or {}).get(MARKER_FIELD) == marker:
                try:
                    self._quarantine(str(row["token"]), change.after.get("metadata", {}))
                except GatewayError:
                    return  # the original error is what the operator needs to see

    def _quarantine(self, token: str, metadata: dict[str, Any]) -> None:
        self.client.update_key(
            token, {"blocked": True, "metadata": {**metadata, UNDELIVERED_FIELD: True}}
        )

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
