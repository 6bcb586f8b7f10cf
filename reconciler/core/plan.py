"""The Plan value object: ordered changes, what is left alone and why, and safety limits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.changes import Action, Change, change_from_data
from reconciler.core.errors import PlanError, UnsafePlanError

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Untouched:
    """A live object the plan leaves alone on purpose: pinned, unmanaged, or read-only."""

    kind: str  # one of reconciler.core.render.common.UNTOUCHED_LABELS
    name: str
    detail: str = ""

    @property
    def data(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    untouched: tuple[Untouched, ...] = ()
    warnings: tuple[str, ...] = ()
    # Keys blocked outside desired/: apply keeps them blocked (reconciler.core.holds).
    holds: tuple[Untouched, ...] = ()
    # Managed objects that exist now: the base of the safety percentages.
    existing_managed: int = 0
    live_fingerprint: str = ""
    # Whether the live fallbacks were read (desired/ declares them); a saved plan's apply
    # must read the same things to check the fingerprint.
    manages_fallbacks: bool = False

    # A large share of the estate changing at once is more often a mistake (a deleted file,
    # a bad merge) than an intent; above these, apply wants --force.
    MAX_SAFE_UPDATE_PCENT = 0.30
    MAX_SAFE_DESTRUCTIVE_PCENT = 0.30
    # Below this many managed objects a percentage says little; small estates skip the check.
    MIN_EXISTING_MANAGED = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(sorted(self.changes, key=lambda c: c.sort_key)))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.drift)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(c.action for c in self.changes)
        return {action.value: counts.get(action, 0) for action in Action}

    def raise_if_unsafe(self) -> None:
        """Raise UnsafePlanError naming the numbers when a threshold is crossed."""
        existing = self.existing_managed
        if existing < self.MIN_EXISTING_MANAGED:
            return
        updates = sum(c.action in (Action.UPDATE_KEY, Action.UPDATE_MODEL) for c in self.changes)
        destructive = sum(c.action.destructive for c in self.changes)
        for what, count, limit in (
            ("updates", updates, self.MAX_SAFE_UPDATE_PCENT),
            ("blocks and deletes", destructive, self.MAX_SAFE_DESTRUCTIVE_PCENT),
        ):
            share = count / existing
            if share > limit:
                raise UnsafePlanError(
                    f"too many {what}: {share:.0%} is over {limit:.0%} "
                    f"({count}/{existing} managed objects); --force required"
                )

    @property
    def data(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "live_fingerprint": self.live_fingerprint,
            "existing_managed": self.existing_managed,
            "manages_fallbacks": self.manages_fallbacks,
            "summary": self.summary,
            "changes": [c.data for c in self.changes],
            "untouched": [u.data for u in self.untouched],
            "holds": [h.data for h in self.holds],
            "warnings": list(self.warnings),
        }


def plan_from_data(data: Any) -> Plan:
    """Rebuild a saved plan; PlanError on anything that is not one this version wrote."""
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise PlanError(f"not a plan file of format_version {FORMAT_VERSION}")
    try:
        return Plan(
            changes=tuple(change_from_data(c) for c in data["changes"]),
            untouched=tuple(Untouched(**u) for u in data.get("untouched", [])),
            warnings=tuple(data.get("warnings", [])),
            holds=tuple(Untouched(**h) for h in data.get("holds", [])),
            existing_managed=int(data.get("existing_managed", 0)),
            live_fingerprint=str(data["live_fingerprint"]),
            manages_fallbacks=bool(data.get("manages_fallbacks", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"plan file is damaged: {exc}") from None


@dataclass(frozen=True)
class PlanInputs:
    """What diffing produced besides changes, gathered before the Plan is frozen."""

    changes: list[Change] = field(default_factory=list)
    untouched: list[Untouched] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    holds: list[Untouched] = field(default_factory=list)
