"""What every human-facing renderer says about a change, before styling."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from reconciler.core.changes import Action, Change
from reconciler.core.live import (
    APPLIED_FIELD,
    HOLD_FIELD,
    MODEL_RECORD_FIELD,
    ROTATED_FIELD,
    ROTATION_FIELD,
)
from reconciler.core.plan import Plan
from reconciler.core.rails import is_replacement, totals

# Plumbing the tool writes for itself; showing it would only hide what a reviewer must see.
_HIDDEN = {
    f"model_info.{MODEL_RECORD_FIELD}",
    "model_info.managed_by",
    "metadata.managed_by",
    f"metadata.{APPLIED_FIELD}",
    f"metadata.{HOLD_FIELD}",
    f"metadata.{ROTATION_FIELD}",
    f"metadata.{ROTATED_FIELD}",
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
    Action.ROTATE_KEY: "rotate key",
}

UNTOUCHED_LABELS = {
    "pinned_key": "pinned key (never changed)",
    "unmanaged_key": "unmanaged key (not created by this tool; left alone)",
    "config_model": "config.yaml model (read-only)",
    "unmanaged_model": "unmanaged model (not created by this tool; left alone)",
    "other_scope_key": "key of another scope (left alone)",
    "claimed_key": "key claiming the tool's marker, not proven (never trusted; left alone)",
    "other_scope_model": "model of another scope (left alone)",
    "held_key": "held (blocked outside desired/; apply keeps it blocked)",
    "rotating_key": "rotated-out key in its grace period (blocked once it expires)",
}


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Item:
    """One entry a reviewer reads: a change, or a replacement shown as one `-/+` entry."""

    symbol: str  # + ~ - -/+ ⊘ ↺ ⟳
    headline: str
    lines: tuple[str, ...]


def items(plan: Plan) -> list[Item]:
    """The plan's changes as reviewers read them: a key deleted and re-created (its secret
    was lost) and a model re-created under its id are each one `-/+` replacement."""
    created = {c.target: c for c in plan.changes if c.action is Action.CREATE_KEY}
    replaced = {c.target for c in plan.changes
                if c.action is Action.DELETE_KEY and c.target in created}
    result: list[Item] = []
    for change in plan.changes:
        if change.action is Action.CREATE_KEY and change.target in replaced:
            continue  # shown with its delete
        if change.target in replaced and change.action is Action.DELETE_KEY:
            new = created[change.target]
            head = _headline("replace key", change, change.reason or new.reason)
            result.append(Item(REPLACE, head, tuple(field_lines(new))))
        elif is_replacement(change):
            head = _headline("replace model", change, change.reason)
            result.append(Item(REPLACE, head, tuple(field_lines(change))))
        else:
            head = _headline(VERBS[change.action], change, change.reason)
            result.append(Item(change.action.symbol, head, tuple(field_lines(change))))
    return result


REPLACE = "-/+"


def headline(change: Change, *, symbol: bool = True) -> str:
    """One change's line on its own (no pairing into replacements), e.g. for a drift report."""
    text = _headline(VERBS[change.action], change, change.reason)
    return f"{change.action.symbol} {text}" if symbol else text


def _headline(verb: str, change: Change, reason: str | None) -> str:
    text = f"{verb} {change.target}"
    if change.key_name:
        text += f" ({change.key_name})"
    if change.drift:
        text += f" {DRIFT_NOTE}"
    if reason:
        text += f"  # {reason}"
    return text


def field_lines(change: Change) -> list[str]:
    """`field: before → after` for updates (`models: + X, - Y` for a key's models);
    `field: value` for creates; nothing for the rest."""
    # Adoption is about the marker: show it being stamped.
    hidden = _HIDDEN - _MARKERS if change.action in _ADOPTS else _HIDDEN
    before, after = _flatten(change.before, hidden), _flatten(change.after, hidden)
    if change.action in (Action.CREATE_KEY, Action.CREATE_MODEL):
        return [f"{name}: {show(value)}" for name, value in after.items() if value is not None]
    if change.action in _UPDATES:
        names = sorted(set(before) | set(after))
        return [_field_change(n, before.get(n), after.get(n)) for n in names
                if before.get(n) != after.get(n)]
    return []


def _field_change(name: str, was: Any, will: Any) -> str:
    # Only where order means nothing (a key's models); fallbacks are tried in order.
    if name == "models" and _names(was) and _names(will):
        added = [show(v) for v in will if v not in was]
        removed = [show(v) for v in was if v not in will]
        if added or removed:  # else only the order moved: say so with the whole lists
            return f"{name}: " + ", ".join([f"+ {v}" for v in added] + [f"- {v}" for v in removed])
    return f"{name}: {show(was)} → {show(will)}"


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_MARKERS = {"model_info.managed_by", "metadata.managed_by"}
_ADOPTS = (Action.ADOPT_KEY, Action.ADOPT_MODEL)
_UPDATES = (
    Action.UPDATE_KEY,
    Action.UPDATE_MODEL,
    Action.UPDATE_FALLBACKS,
    Action.ADOPT_KEY,
    Action.ADOPT_MODEL,
    Action.ROTATE_KEY,
)


def _flatten(data: dict[str, Any], hidden: set[str], prefix: str = "") -> dict[str, Any]:
    """Nested mappings become dotted paths (`metadata.team`), so a reviewer sees the one
    field that moved instead of two whole objects."""
    flat: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{prefix}{name}"
        if path in hidden:
            continue
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, hidden, f"{path}."))
        else:
            flat[path] = value
    return flat


def summary_line(plan: Plan) -> str:
    """Terraform's line: a replacement is one add and one destroy; blocks, unblocks and
    adoptions (neither an add nor a destroy) are counted apart, only when there are some."""
    held = f" {len(plan.holds)} key(s) held blocked outside desired/." if plan.holds else ""
    if not plan.has_changes:
        return "No changes. The gateway matches desired/." + held
    counts = totals(plan.changes)
    parts = [f"{counts['add']} to add", f"{counts['change']} to change",
             f"{counts['destroy']} to destroy"]
    parts += [f"{counts[what]} to {what}" for what in ("rotate", "block", "unblock", "adopt")
              if counts[what]]
    text = "Plan: " + ", ".join(parts) + "."
    if counts["replace"]:
        text += f" ({counts['replace']} replaced: counted in add and destroy)"
    drift = len(plan.drift)
    if drift:
        text += f" {drift} of them undo drift (changes made outside desired/)."
    return text + held


UNTOUCHED_SHORT = {
    "pinned_key": "pinned key(s)",
    "unmanaged_key": "unmanaged key(s)",
    "config_model": "config.yaml model(s)",
    "unmanaged_model": "unmanaged model(s)",
    "other_scope_key": "key(s) of other scopes",
    "claimed_key": "key(s) claiming the tool's marker (never trusted)",
    "other_scope_model": "model(s) of other scopes",
    "rotating_key": "rotated-out key(s) in their grace period",
}


def untouched_counts(plan: Plan) -> str:
    """The untouched objects as one line of counts (`plan --show-untouched` lists them)."""
    counts = Counter(u.kind for u in plan.untouched)
    parts = [f"{counts[kind]} {label}" for kind, label in UNTOUCHED_SHORT.items() if counts[kind]]
    return f"Left untouched: {', '.join(parts)} (--show-untouched lists them)"


def rail_lines(plan: Plan) -> list[str]:
    """Each safety rail with its numbers, for every human format."""
    return [rail.describe() for rail in plan.shown_rails.rails]


def hold_lines(plan: Plan) -> list[str]:
    return [f"held: {h.name} {h.detail}" for h in plan.holds]
