"""The Plan value object: ordered changes, what is left alone and why, and safety limits.

A saved plan carries two digests: `desired_digest` (the desired/ it was made from) and
`changes_digest` (its own changes). Apply never trusts a saved plan's numbers: it re-derives
the plan from desired/ and the live gateway and runs it only when both agree with the file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.changes import Action, Change, change_from_data
from reconciler.core.errors import PlanError, UnsafePlanError
from reconciler.core.input.desired import Estate
from reconciler.core.input.safety import Safety
from reconciler.core.rails import REFUSED, RailCheck, evaluate, rails_from_data, totals

FORMAT_VERSION = 2


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
    # Managed keys and models of this scope that exist BEFORE the plan, read from the live
    # gateway: the bases of the safety percentages (creates never dilute them).
    existing_keys: int = 0
    existing_models: int = 0
    live_fingerprint: str = ""
    # Whether the live fallbacks were read (desired/ declares them); a saved plan's apply
    # must read the same things to check the fingerprint.
    manages_fallbacks: bool = False
    desired_digest: str = ""
    # The rails' limits and any approval come from desired/ (settings.safety).
    safety: Safety = field(default_factory=Safety)
    approval_at: str = ""
    # A saved plan's evaluation, shown by `show`; never used to decide anything.
    recorded_rails: RailCheck | None = field(default=None, compare=False)

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

    @property
    def rails(self) -> RailCheck:
        """The safety rails over this plan; the bases come from the live gateway."""
        bases = {"key": self.existing_keys, "model": self.existing_models}
        return evaluate(self.changes, self.safety, bases, self.approval_at)

    @property
    def shown_rails(self) -> RailCheck:
        """What the renderers print: the recorded evaluation of a saved plan, else this one."""
        return self.recorded_rails or self.rails

    def raise_if_unsafe(self) -> None:
        """UnsafePlanError naming the numbers when a rail is exceeded and no approval in
        desired/ covers a change of this size.

        Keys count against the managed keys that exist now, models against the managed models;
        so a plan (or an earlier apply) adding many objects of one kind cannot dilute the
        share of another kind it removes.
        """
        check = self.rails
        if check.verdict == REFUSED:
            raise UnsafePlanError(check.refusal())

    @property
    def data(self) -> dict[str, Any]:
        changes = [c.data for c in self.changes]
        return {
            "format_version": FORMAT_VERSION,
            "desired_digest": self.desired_digest,
            "changes_digest": digest_of(changes),
            "live_fingerprint": self.live_fingerprint,
            # For people only: apply counts again from the live gateway.
            "existing_managed": {"keys": self.existing_keys, "models": self.existing_models},
            "manages_fallbacks": self.manages_fallbacks,
            "summary": self.summary,
            "totals": totals(self.changes),
            # For people only, like existing_managed: apply evaluates the rails again.
            "safety": self.shown_rails.data,
            "changes": changes,
            "untouched": [u.data for u in self.untouched],
            "holds": [h.data for h in self.holds],
            "warnings": list(self.warnings),
        }


def digest_of(data: Any) -> str:
    """sha256 of canonical JSON: equal data, equal digest, whatever the key order."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def desired_digest(estate: Estate) -> str:
    """What desired/ declares, independent of how it is split into files or ordered."""
    data = estate.model_dump(mode="json")
    del data["approval_at"]  # where a declaration sits is not what it declares
    # Names and ids are unique (the loader checks), so they order the lists fully.
    data["agents"] = sorted(data["agents"], key=lambda a: a["name"])
    data["models"] = sorted(data["models"], key=lambda m: m["id"])
    data["pinned"] = sorted(data["pinned"], key=lambda p: (p["alias"] or "", p["key_sha256"] or ""))
    data["config_models"] = sorted(data["config_models"])
    return digest_of(data)


def plan_from_data(data: Any) -> Plan:
    """Rebuild a saved plan; PlanError on anything that is not one this version wrote.

    The safety bases are not read back: apply recounts them from the live gateway. The
    rails' evaluation is kept apart, for `show` to print as it was planned.
    """
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise PlanError(f"not a plan file of format_version {FORMAT_VERSION}; run plan again")
    try:
        raw_changes = data["changes"]
        if not isinstance(raw_changes, list):
            raise TypeError("changes is not a list")
        if data["changes_digest"] != digest_of(raw_changes):
            raise PlanError(
                "the plan file's changes were edited after plan wrote them "
                "(changes_digest does not match); run plan again"
            )
        return Plan(
            changes=tuple(change_from_data(c) for c in raw_changes),
            untouched=tuple(Untouched(**u) for u in data.get("untouched", [])),
            warnings=tuple(str(w) for w in data.get("warnings", [])),
            holds=tuple(Untouched(**h) for h in data.get("holds", [])),
            live_fingerprint=str(data.get("live_fingerprint", "")),
            manages_fallbacks=data.get("manages_fallbacks") is True,
            desired_digest=str(data["desired_digest"]),
            recorded_rails=rails_from_data(data.get("safety")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"plan file is damaged: {exc}") from None


@dataclass(frozen=True)
class PlanInputs:
    """What diffing produced besides changes, gathered before the Plan is frozen."""

    changes: list[Change] = field(default_factory=list)
    untouched: list[Untouched] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    holds: list[Untouched] = field(default_factory=list)
