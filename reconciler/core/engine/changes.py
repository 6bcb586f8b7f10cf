"""Tiny immutable change objects: a kind, a verb and an address, a JSON view, a stable order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verb(str, Enum):
    """What apply does to one object. A kind declares which verbs it has, in apply order."""

    ADOPT = "adopt"
    ROTATE = "rotate"
    CREATE = "create"
    UPDATE = "update"
    UNBLOCK = "unblock"
    BLOCK = "block"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def destructive(self) -> bool:
        return self in (Verb.BLOCK, Verb.DELETE)


_SYMBOLS = {
    Verb.ADOPT: "@",
    Verb.CREATE: "+",
    Verb.UPDATE: "~",
    Verb.BLOCK: "⊘",
    Verb.UNBLOCK: "↺",
    Verb.ROTATE: "⟳",
    Verb.DELETE: "-",
}


@dataclass(frozen=True)
class Change:
    """One thing apply will do to the object at `address` (`key.李狗蛋`, `model.m-1`,
    `routing.fallbacks`). `before`/`after` hold only the fields that differ."""

    kind: str
    verb: Verb
    target: str  # the object's name in desired/ (agent name, model id, ...)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    # The live object's own identity where its name is not it (a key's token hash; never a
    # secret), and how people know that object (a key's "sk-...a1b2").
    ref: str | None = None
    label: str | None = None
    reason: str | None = None
    # The whole desired object where apply needs more than the differing fields.
    spec: dict[str, Any] | None = None
    # The live object no longer matches what the tool last applied: changed outside desired/.
    drift: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.target}"

    @property
    def action(self) -> str:
        """`create_key`, `update_routing`...: the verb and the kind in one word, for people
        and reports; decisions use kind and verb."""
        return f"{self.verb.value}_{self.kind}"

    def is_(self, kind: str, verb: Verb) -> bool:
        return self.kind == kind and self.verb is verb

    @property
    def data(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "address": self.address,
            "action": self.action,
            "kind": self.kind,
            "verb": self.verb.value,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "drift": self.drift,
        }
        for name in ("ref", "label", "reason", "spec"):
            if getattr(self, name) is not None:
                view[name] = getattr(self, name)
        return view


def change_from_data(data: dict[str, Any]) -> Change:
    """Inverse of Change.data, for saved plans; TypeError/ValueError on a wrong shape."""
    change = Change(
        kind=_typed(data["kind"], str, "kind"),
        verb=Verb(data["verb"]),
        target=_typed(data["target"], str, "target"),
        before=dict(_typed(data.get("before") or {}, dict, "before")),
        after=dict(_typed(data.get("after") or {}, dict, "after")),
        ref=_optional(data.get("ref"), str, "ref"),
        label=_optional(data.get("label"), str, "label"),
        reason=_optional(data.get("reason"), str, "reason"),
        spec=_optional(data.get("spec"), dict, "spec"),
        drift=_typed(data.get("drift", False), bool, "drift"),
    )
    # The words people read must say what apply will do.
    if data.get("address") != change.address or data.get("action") != change.action:
        raise ValueError(f"{data.get('action')!r} {data.get('address')!r} is not "
                         f"{change.action!r} {change.address!r}")
    return change


def _typed(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _optional(value: Any, kind: type, name: str) -> Any:
    return None if value is None else _typed(value, kind, name)


@dataclass(frozen=True)
class Untouched:
    """A live object the plan leaves alone on purpose: pinned, unmanaged, or read-only.
    `kind` is one of the labels a kind declares (Kind.untouched)."""

    kind: str
    name: str
    detail: str = ""

    @property
    def data(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class PlanInputs:
    """What diffing produced besides changes, gathered before the Plan is frozen."""

    changes: list[Change] = field(default_factory=list)
    untouched: list[Untouched] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    holds: list[Untouched] = field(default_factory=list)
