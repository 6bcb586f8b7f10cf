"""What every human-facing renderer says about a change, before styling."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.rails import is_replacement, totals
from reconciler.core.registry import KINDS, kind

# Plumbing the tool writes for itself; showing it would only hide what a reviewer must see.
_HIDDEN = frozenset().union(*(k.hidden for k in KINDS))
_MARKERS = frozenset().union(*(k.markers for k in KINDS))
DRIFT_NOTE = "[drift: changed outside desired/]"

UNTOUCHED_LABELS = {label: words for k in KINDS for label, (words, _) in k.untouched.items()}
UNTOUCHED_SHORT = {label: short for k in KINDS for label, (_, short) in k.untouched.items()
                   if short}


def verb_phrase(change: Change, verb: str | None = None) -> str:
    """`create key`, `update model`, `update` (routing: its name says what it is)."""
    noun = kind(change.kind).noun
    words = verb or change.verb.value
    return f"{words} {noun}" if noun else words


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
    created = {c.address: c for c in plan.changes if c.verb is Verb.CREATE}
    replaced = {c.address for c in plan.changes
                if c.verb is Verb.DELETE and c.address in created}
    result: list[Item] = []
    for change in plan.changes:
        if change.verb is Verb.CREATE and change.address in replaced:
            continue  # shown with its delete
        if change.address in replaced and change.verb is Verb.DELETE:
            new = created[change.address]
            head = _headline(verb_phrase(change, "replace"), change, change.reason or new.reason)
            result.append(Item(REPLACE, head, tuple(field_lines(new))))
        elif is_replacement(change):
            head = _headline(verb_phrase(change, "replace"), change, change.reason)
            result.append(Item(REPLACE, head, tuple(field_lines(change))))
        else:
            head = _headline(verb_phrase(change), change, change.reason)
            result.append(Item(change.verb.symbol, head, tuple(field_lines(change))))
    return result


REPLACE = "-/+"


def headline(change: Change, *, symbol: bool = True) -> str:
    """One change's line on its own (no pairing into replacements), e.g. for a drift report."""
    text = _headline(verb_phrase(change), change, change.reason)
    return f"{change.verb.symbol} {text}" if symbol else text


def _headline(verb: str, change: Change, reason: str | None) -> str:
    text = f"{verb} {change.target}"
    if change.label:
        text += f" ({change.label})"
    if change.drift:
        text += f" {DRIFT_NOTE}"
    if reason:
        text += f"  # {reason}"
    return text


def field_lines(change: Change) -> list[str]:
    """`field: before → after` for updates (`models: + X, - Y` for a key's models);
    `field: value` for creates; nothing for the rest."""
    # Adoption is about the marker: show it being stamped.
    hidden = _HIDDEN - _MARKERS if change.verb is Verb.ADOPT else _HIDDEN
    before, after = _flatten(change.before, hidden), _flatten(change.after, hidden)
    if change.verb is Verb.CREATE:
        return [f"{name}: {show(value)}" for name, value in after.items() if value is not None]
    if change.verb in _UPDATES:
        names = sorted(set(before) | set(after))
        # An empty mapping on one side whose other side has fields: those fields say it all.
        names = [n for n in names if not ({} in (before.get(n), after.get(n))
                                          and any(m.startswith(n + ".") for m in names))]
        return [_field_change(n, before.get(n), after.get(n)) for n in names
                if before.get(n) != after.get(n)]
    return []


def _field_change(name: str, was: Any, will: Any) -> str:
    # Only where order means nothing (a key's or a team's models, a team's members);
    # fallbacks are tried in order.
    if name in ("models", "members") and _names(was) and _names(will):
        added = [show(v) for v in will if v not in was]
        removed = [show(v) for v in was if v not in will]
        if added or removed:  # else only the order moved: say so with the whole lists
            return f"{name}: " + ", ".join([f"+ {v}" for v in added] + [f"- {v}" for v in removed])
    return f"{name}: {show(was)} → {show(will)}"


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_UPDATES = (Verb.UPDATE, Verb.ADOPT, Verb.ROTATE)


def _flatten(data: dict[str, Any], hidden: frozenset[str], prefix: str = "") -> dict[str, Any]:
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
    held = _held(plan)
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


def _held(plan: Plan) -> str:
    """` 1 key(s) and 1 team(s) held blocked outside desired/.`: each kind labels its holds
    `held_KIND` (Kind.untouched)."""
    if not plan.holds:
        return ""
    counts = Counter(h.kind.removeprefix("held_") for h in plan.holds)
    return " " + " and ".join(f"{n} {what}(s)" for what, n in counts.items()) + \
        " held blocked outside desired/."


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
