"""The Plan value object: ordered changes, what is left alone and why, and safety limits.

A saved plan carries two digests: `desired_digest` (the desired/ it was made from) and
`changes_digest` (its own changes). Apply never trusts a saved plan's numbers: it re-derives
the plan from desired/ and the live gateway and runs it only when both agree with the file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconciler.core.engine.changes import Change, Untouched, change_from_data
from reconciler.core.engine.rails import REFUSED, RailCheck, evaluate, rails_from_data, totals
from reconciler.core.errors import PlanError, UnsafePlanError
from reconciler.core.input.desired import NAMED_SECTIONS, Estate
from reconciler.core.input.safety import Safety
from reconciler.core.registry import KINDS, kind, phase_of

# 3: changes carry kind, verb and address (ref and label for the live object);
# existing_managed and reads are per kind.
FORMAT_VERSION = 3

__all__ = ["FORMAT_VERSION", "Plan", "Untouched", "desired_digest", "digest_of", "plan_from_data"]


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    untouched: tuple[Untouched, ...] = ()
    warnings: tuple[str, ...] = ()
    # Objects blocked outside desired/: apply keeps them blocked (kinds/key/holds.py).
    holds: tuple[Untouched, ...] = ()
    # Managed objects of this scope per kind that exist BEFORE the plan, read from the live
    # gateway: the bases of the safety percentages (creates never dilute them).
    existing: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    live_fingerprint: str = ""
    # The kinds this plan read from the gateway (routing only when desired/ declares it); a
    # saved plan's apply must read the same things to check the fingerprint.
    reads: tuple[str, ...] = ()
    desired_digest: str = ""
    # The rails' limits and any approval come from desired/ (settings.safety).
    safety: Safety = field(default_factory=Safety)
    approval_at: str = ""
    # A saved plan's evaluation, shown by `show`; never used to decide anything.
    recorded_rails: RailCheck | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.changes, key=lambda c: (phase_of(c), c.target))
        object.__setattr__(self, "changes", tuple(ordered))
        object.__setattr__(self, "existing", MappingProxyType(dict(self.existing)))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.drift)

    @property
    def summary(self) -> dict[str, int]:
        """Changes per action (`create_key`...), every action of every kind listed."""
        counts = Counter(c.action for c in self.changes)
        actions = [f"{v.value}_{k.name}" for k in KINDS for v in k.all_verbs]
        return {action: counts.get(action, 0) for action in actions}

    @property
    def rails(self) -> RailCheck:
        """The safety rails over this plan; the bases come from the live gateway."""
        return evaluate(self.changes, self.safety, self.existing, self.approval_at)

    @property
    def shown_rails(self) -> RailCheck:
        """What the renderers print: the recorded evaluation of a saved plan, else this one."""
        return self.recorded_rails or self.rails

    def raise_if_unsafe(self) -> None:
        """UnsafePlanError naming the numbers when a rail is exceeded and no approval in
        desired/ covers a change of this size.

        Each kind counts against its own managed objects that exist now, so a plan (or an
        earlier apply) adding many objects of one kind cannot dilute the share of another
        kind it removes.
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
            "existing_managed": {
                k.plural: self.existing.get(k.name, 0) for k in KINDS
                if k.managed is not None and (k.always_read or k.name in self.existing)
            },
            "reads": list(self.reads),
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
    for section, name in NAMED_SECTIONS.items():
        data[section] = sorted(data[section], key=lambda item, name=name: item[name])
    data["declared"] = sorted(data["declared"])  # a set: one order for every process
    data["pinned"] = sorted(data["pinned"], key=lambda p: (p["alias"] or "", p["key_sha256"] or ""))
    data["config_models"] = sorted(data["config_models"])
    return digest_of(data)


def plan_from_data(data: Any) -> Plan:
    """Rebuild a saved plan; PlanError on anything that is not one this version wrote.

    The safety bases are not read back: apply recounts them from the live gateway. The
    rails' evaluation is kept apart, for `show` to print as it was planned.
    """
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        older = isinstance(data, dict) and data.get("format_version") in (1, 2)
        why = " (written by an older version of the tool)" if older else ""
        raise PlanError(f"not a plan file of format_version {FORMAT_VERSION}{why}; run plan again")
    try:
        raw_changes = data["changes"]
        if not isinstance(raw_changes, list):
            raise TypeError("changes is not a list")
        if data["changes_digest"] != digest_of(raw_changes):
            raise PlanError(
                "the plan file's changes were edited after plan wrote them "
                "(changes_digest does not match); run plan again"
            )
        reads = data.get("reads", [])
        if not isinstance(reads, list):
            raise TypeError("reads is not a list")
        return Plan(
            changes=tuple(change_from_data(c) for c in raw_changes),
            untouched=tuple(Untouched(**u) for u in data.get("untouched", [])),
            warnings=tuple(str(w) for w in data.get("warnings", [])),
            holds=tuple(Untouched(**h) for h in data.get("holds", [])),
            live_fingerprint=str(data.get("live_fingerprint", "")),
            reads=tuple(kind(str(name)).name for name in reads),
            desired_digest=str(data["desired_digest"]),
            recorded_rails=rails_from_data(data.get("safety")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanError(f"plan file is damaged: {exc}") from None
