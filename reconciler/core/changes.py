"""Tiny immutable change objects: one class per action, a JSON view, a stable order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar


class Action(str, Enum):
    # Declaration order is apply order: models exist before the keys that use them; a key whose
    # secret was lost is deleted before its replacement is created (aliases are unique); models
    # are deleted last, once no key is changed to need them. Adoption comes first in its kind:
    # it only stamps the marker on an existing object, so later changes find it managed. A
    # rotation renames the old key before its successor is created under the agent's alias.
    ADOPT_MODEL = "adopt_model"
    CREATE_MODEL = "create_model"
    UPDATE_MODEL = "update_model"
    UPDATE_FALLBACKS = "update_fallbacks"
    ADOPT_KEY = "adopt_key"
    ROTATE_KEY = "rotate_key"
    DELETE_KEY = "delete_key"
    CREATE_KEY = "create_key"
    UPDATE_KEY = "update_key"
    UNBLOCK_KEY = "unblock_key"
    BLOCK_KEY = "block_key"
    DELETE_MODEL = "delete_model"

    @property
    def order(self) -> int:
        return list(Action).index(self)

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def destructive(self) -> bool:
        return self in (Action.DELETE_KEY, Action.BLOCK_KEY, Action.DELETE_MODEL)


_SYMBOLS = {
    Action.ADOPT_MODEL: "@",
    Action.ADOPT_KEY: "@",
    Action.CREATE_MODEL: "+",
    Action.CREATE_KEY: "+",
    Action.UPDATE_MODEL: "~",
    Action.UPDATE_KEY: "~",
    Action.UPDATE_FALLBACKS: "~",
    Action.BLOCK_KEY: "⊘",
    Action.UNBLOCK_KEY: "↺",
    Action.ROTATE_KEY: "⟳",
    Action.DELETE_KEY: "-",
    Action.DELETE_MODEL: "-",
}


@dataclass(frozen=True)
class Change:
    """One thing apply will do. `before`/`after` hold only the fields that differ."""

    action: ClassVar[Action]
    target: str  # agent name or model id
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    key_id: str | None = None  # token hash of the key acted on (not a secret)
    key_name: str | None = None  # "sk-...a1b2", for people
    reason: str | None = None
    # The whole desired object where apply needs more than the differing fields (update_model).
    spec: dict[str, Any] | None = None
    # The live object no longer matches what the tool last applied: changed outside desired/.
    drift: bool = False

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.action.order, self.target)

    @property
    def data(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "action": self.action.value,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "drift": self.drift,
        }
        for name in ("key_id", "key_name", "reason", "spec"):
            if getattr(self, name) is not None:
                view[name] = getattr(self, name)
        return view


@dataclass(frozen=True)
class CreateKey(Change):
    action = Action.CREATE_KEY


@dataclass(frozen=True)
class UpdateKey(Change):
    action = Action.UPDATE_KEY


@dataclass(frozen=True)
class BlockKey(Change):
    action = Action.BLOCK_KEY


@dataclass(frozen=True)
class UnblockKey(Change):
    action = Action.UNBLOCK_KEY


@dataclass(frozen=True)
class DeleteKey(Change):
    action = Action.DELETE_KEY


@dataclass(frozen=True)
class CreateModel(Change):
    action = Action.CREATE_MODEL


@dataclass(frozen=True)
class UpdateModel(Change):
    action = Action.UPDATE_MODEL


@dataclass(frozen=True)
class DeleteModel(Change):
    action = Action.DELETE_MODEL


@dataclass(frozen=True)
class UpdateFallbacks(Change):
    action = Action.UPDATE_FALLBACKS


@dataclass(frozen=True)
class AdoptKey(Change):
    action = Action.ADOPT_KEY


@dataclass(frozen=True)
class RotateKey(Change):
    action = Action.ROTATE_KEY


@dataclass(frozen=True)
class AdoptModel(Change):
    action = Action.ADOPT_MODEL


CHANGE_TYPES: dict[Action, type[Change]] = {
    cls.action: cls
    for cls in (
        CreateKey,
        UpdateKey,
        BlockKey,
        UnblockKey,
        DeleteKey,
        CreateModel,
        UpdateModel,
        DeleteModel,
        UpdateFallbacks,
        AdoptKey,
        AdoptModel,
        RotateKey,
    )
}


def needs_recreate(after: dict[str, Any]) -> bool:
    """True when a param or model_info key goes away: PATCH ignores nulls, so only a fresh
    deployment (same id) can drop it."""
    return any(
        value is None
        for section in ("litellm_params", "model_info")
        for value in (after.get(section) or {}).values()
    )


def change_from_data(data: dict[str, Any]) -> Change:
    """Inverse of Change.data, for saved plans; TypeError/ValueError on a wrong shape."""
    cls = CHANGE_TYPES[Action(data["action"])]
    return cls(
        target=_typed(data["target"], str, "target"),
        before=dict(_typed(data.get("before") or {}, dict, "before")),
        after=dict(_typed(data.get("after") or {}, dict, "after")),
        key_id=_optional(data.get("key_id"), str, "key_id"),
        key_name=_optional(data.get("key_name"), str, "key_name"),
        reason=_optional(data.get("reason"), str, "reason"),
        spec=_optional(data.get("spec"), dict, "spec"),
        drift=_typed(data.get("drift", False), bool, "drift"),
    )


def _typed(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _optional(value: Any, kind: type, name: str) -> Any:
    return None if value is None else _typed(value, kind, name)
