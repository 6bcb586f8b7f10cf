"""What every human-facing renderer says about a change, before styling."""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.live import APPLIED_FIELD, HOLD_FIELD, MODEL_RECORD_FIELD
from reconciler.core.plan import Plan

# Plumbing the tool writes for itself; showing it would only hide what a reviewer must see.
_HIDDEN = {
    f"model_info.{MODEL_RECORD_FIELD}",
    "model_info.managed_by",
    "metadata.managed_by",
    f"metadata.{APPLIED_FIELD}",
    f"metadata.{HOLD_FIELD}",
}
DRIFT_NOTE = "[drift: changed outside desired/]"

VERBS = {
    Action.ADOPT_MODEL: "adopt model",
    Action.ADOPT_KEY: "adopt key",
    Action.CREATE_MODEL: "create model",
    Action.UPDATE_MODEL: "update model",
    Action.UPDATE_FALLBACKS: "update",
    Action.DELETE_MODEL: "delete model",
    Action.CREATE_KEY: "create key",
    Action.UPDATE_KEY: "update key",
    Action.BLOCK_KEY: "block key",
    Action.UNBLOCK_KEY: "unblock key",
    Action.DELETE_KEY: "delete key",
}

UNTOUCHED_LABELS = {
    "pinned_key": "pinned key (never changed)",
    "unmanaged_key": "unmanaged key (not created by this tool; left alone)",
    "config_model": "config.yaml model (read-only)",
    "unmanaged_model": "unmanaged model (not created by this tool; left alone)",
    "other_scope_key": "key of another scope (left alone)",
    "other_scope_model": "model of another scope (left alone)",
    "held_key": "held (blocked outside desired/; apply keeps it blocked)",
}


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def headline(change: Change, *, symbol: bool = True) -> str:
    text = f"{VERBS[change.action]} {change.target}"
    if symbol:
        text = f"{change.action.symbol} {text}"
    if change.key_name:
        text += f" ({change.key_name})"
    if change.drift:
        text += f" {DRIFT_NOTE}"
    if change.reason:
        text += f"  # {change.reason}"
    return text


def field_lines(change: Change) -> list[str]:
    """`field: before → after` for updates; `field: value` for creates; nothing for the rest."""
    # Adoption is about the marker: show it being stamped.
    hidden = _HIDDEN - _MARKERS if change.action in _ADOPTS else _HIDDEN
    before, after = _flatten(change.before, hidden), _flatten(change.after, hidden)
    if change.action in (Action.CREATE_KEY, Action.CREATE_MODEL):
        return [f"{name}: {show(value)}" for name, value in after.items() if value is not None]
    if change.action in _UPDATES:
        names = sorted(set(before) | set(after))
        return [
            f"{n}: {show(before.get(n))} → {show(after.get(n))}"
            for n in names
            if before.get(n) != after.get(n)
        ]
    return []


_MARKERS = {"model_info.managed_by", "metadata.managed_by"}
_ADOPTS = (Action.ADOPT_KEY, Action.ADOPT_MODEL)
_UPDATES = (
    Action.UPDATE_KEY,
    Action.UPDATE_MODEL,
    Action.UPDATE_FALLBACKS,
    Action.ADOPT_KEY,
    Action.ADOPT_MODEL,
)


def _flatten(data: dict[str, Any], hidden: set[str], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{prefix}{name}"
        if path in hidden:
            continue
        if (
            isinstance(value, dict)
            and value
            and name in ("metadata", "litellm_params", "model_info")
        ):
            flat.update(_flatten(value, hidden, f"{path}."))
        else:
            flat[path] = value
    return flat


def summary_line(plan: Plan) -> str:
    held = f" {len(plan.holds)} key(s) held blocked outside desired/." if plan.holds else ""
    if not plan.has_changes:
        return "No changes. The gateway matches desired/." + held
    counts = plan.summary
    parts = [f"{n} {action.replace('_', ' ')}" for action, n in counts.items() if n]
    line = f"Plan: {len(plan.changes)} change(s): " + ", ".join(parts) + "."
    drift = len(plan.drift)
    if drift:
        line += f" {drift} of them undo drift (changes made outside desired/)."
    return line + held


def hold_lines(plan: Plan) -> list[str]:
    return [f"held: {h.name} {h.detail}" for h in plan.holds]
