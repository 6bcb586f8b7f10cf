"""Safety rails: how much of the managed estate one plan changes, evaluated with the plan.

Each kind with rails (keys, models) is measured against the managed objects of that kind that exist
BEFORE the plan, so creates never dilute a removal. A replacement (a model re-created, a
working key deleted and re-created) counts as a destroy. The evaluation travels with the plan
(every format shows it), and apply evaluates it again from the live gateway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.input.safety import Safety
from reconciler.core.registry import KINDS, kind

PASSED, APPROVED, REFUSED = "passed", "approved", "refused"


@dataclass(frozen=True)
class Rail:
    kind: str  # a kind with rails: key, model
    measure: str  # update | destroy
    count: int
    base: int  # managed objects of the kind before the plan
    limit: float
    checked: bool  # False when the base is under min_existing

    @property
    def words(self) -> str:
        """What is counted, for a refusal: "key blocks and deletes"."""
        update, destroy = kind(self.kind).rail_words
        return update if self.measure == "update" else destroy

    @property
    def share(self) -> float:
        return self.count / self.base if self.base else 0.0

    @property
    def exceeded(self) -> bool:
        return self.checked and self.share > self.limit

    @property
    def label(self) -> str:
        return f"{self.kind} {'updates' if self.measure == 'update' else 'destroys'}"

    def describe(self) -> str:
        if not self.checked:
            return f"{self.label}: {self.count}/{self.base} (not checked: under the minimum)"
        state = "EXCEEDED" if self.exceeded else "ok"
        return (f"{self.label}: {self.count}/{self.base} = {self.share:.0%} "
                f"(limit {self.limit:.0%}) {state}")

    @property
    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, "measure": self.measure, "count": self.count,
                "base": self.base, "share": round(self.share, 4), "limit": self.limit,
                "checked": self.checked, "exceeded": self.exceeded}


@dataclass(frozen=True)
class RailCheck:
    rails: tuple[Rail, ...]
    total: int  # changes as the summary counts them (a replacement is an add and a destroy)
    approval_reason: str | None = None
    approval_max: int = 0
    approval_at: str = ""
    # Limits desired/ sets looser than the defaults (Safety.loosened): a large change too.
    loosened: tuple[str, ...] = ()

    @property
    def exceeded(self) -> tuple[Rail, ...]:
        return tuple(r for r in self.rails if r.exceeded)

    @property
    def verdict(self) -> str:
        if not self.exceeded and not self.loosened:
            return PASSED
        if self.approval_reason is not None and self.total <= self.approval_max:
            return APPROVED
        return REFUSED

    def headline(self) -> str | None:
        """The one line a reviewer must not miss, or None when the rails say nothing."""
        loose = f"; safety rails loosened: {', '.join(self.loosened)}" if self.loosened else ""
        if self.approval_reason is not None:
            where = f" in {self.approval_at}" if self.approval_at else ""
            size = f"up to {self.approval_max} change(s), this plan has {self.total}"
            if self.verdict == REFUSED:
                return (f"LARGE CHANGE REFUSED: the approval{where} covers {size}; "
                        f"apply needs --force{loose}")
            return f"Large change approved{where}: {self.approval_reason} ({size}){loose}"
        if self.loosened:
            return (f"SAFETY RAILS LOOSENED in desired/ ({', '.join(self.loosened)}): that is "
                    "itself a large change; apply refuses without --force; declare "
                    "settings.safety.approve_large_change in desired/ to approve it")
        if self.exceeded:
            return ("OVER THE SAFETY RAILS: apply refuses without --force; declare "
                    "settings.safety.approve_large_change in desired/ to approve it")
        return None

    def refusal(self) -> str:
        if not self.exceeded:
            return (f"the safety rails are loosened in desired/ ({', '.join(self.loosened)}), "
                    "which is itself a large change: declare "
                    "settings.safety.approve_large_change to approve it; --force required")
        rail = self.exceeded[0]
        text = (f"too many {rail.words}: {rail.share:.0%} is over "
                f"{rail.limit:.0%} ({rail.count}/{rail.base} managed {rail.kind}s)")
        if self.approval_reason is not None:
            text += (f"; the approval in {self.approval_at} covers {self.approval_max} "
                     f"change(s), this plan has {self.total}")
        return text + "; --force required"

    @property
    def data(self) -> dict[str, Any]:
        approval = None
        if self.approval_reason is not None:
            approval = {"reason": self.approval_reason, "max_changes": self.approval_max,
                        "declared_at": self.approval_at}
        return {"verdict": self.verdict, "total_changes": self.total,
                "rails": [r.data for r in self.rails], "approval": approval,
                "loosened": list(self.loosened)}


def evaluate(changes: Iterable[Change], safety: Safety, bases: Mapping[str, int],
             approval_at: str = "") -> RailCheck:
    changes = list(changes)
    harmless = {id(c) for c in harmless_replacements(changes)}
    limits = {"update": safety.max_update_share, "destroy": safety.max_destroy_share}
    rails = []
    for railed in KINDS:
        # A kind only some estates declare (teams...) has rails only where the plan read it.
        if railed.managed is None or not (railed.always_read or railed.name in bases):
            continue
        mine = [c for c in changes if c.kind == railed.name]
        recreated = sum(railed.recreates(c) for c in mine)
        measured = {
            # A rotation replaces the key every caller of that agent holds: an update.
            "update": sum(c.verb in (Verb.UPDATE, Verb.ROTATE) for c in mine) - recreated,
            "destroy": sum(c.verb.destructive and id(c) not in harmless for c in mine)
            + recreated,
        }
        base = bases.get(railed.name, 0)
        rails += [
            Rail(railed.name, measure, count, base, limits[measure],
                 checked=base >= safety.min_existing)
            for measure, count in measured.items()
        ]
    approval = safety.approve_large_change
    return RailCheck(
        tuple(rails), total=len(changes) + sum(is_replacement(c) for c in changes),
        approval_reason=approval.reason if approval else None,
        approval_max=approval.max_changes if approval else 0,
        approval_at=approval_at,
        loosened=safety.loosened(),
    )


def is_replacement(change: Change) -> bool:
    """An update apply carries out as delete + create (a model re-created under its id)."""
    return kind(change.kind).recreates(change)


def harmless_replacements(changes: Iterable[Change]) -> list[Change]:
    """Deletes of a blocked object that the same plan re-creates (a key whose secret never
    reached a sink): nobody can use it, so removing it is not counted as destructive."""
    changes = list(changes)
    created = {c.address for c in changes if c.verb is Verb.CREATE}
    return [
        c
        for c in changes
        if c.verb is Verb.DELETE and c.address in created and c.before.get("blocked") is True
    ]


def totals(changes: Iterable[Change]) -> dict[str, int]:
    """Terraform's counts: a replacement is one add and one destroy; rotations (the successor
    counts as an add), blocks, unblocks and adoptions are counted apart."""
    changes = list(changes)
    verbs = Counter(c.verb for c in changes)
    recreated = sum(is_replacement(c) for c in changes)
    created = {c.address for c in changes if c.verb is Verb.CREATE}
    paired = sum(c.verb is Verb.DELETE and c.address in created for c in changes)
    return {
        "add": verbs[Verb.CREATE] + recreated,
        "change": verbs[Verb.UPDATE] - recreated,
        "destroy": verbs[Verb.DELETE] + recreated,
        "replace": recreated + paired,
        "rotate": verbs[Verb.ROTATE],
        "block": verbs[Verb.BLOCK],
        "unblock": verbs[Verb.UNBLOCK],
        "adopt": verbs[Verb.ADOPT],
    }


def rails_from_data(data: Any) -> RailCheck | None:
    """A saved plan's evaluation, for display; None when the file has none (TypeError,
    KeyError or ValueError on a damaged one, which the plan reader reports)."""
    if data is None:
        return None
    rails = tuple(
        Rail(str(r["kind"]), str(r["measure"]), int(r["count"]), int(r["base"]),
             float(r["limit"]), bool(r["checked"]))
        for r in data["rails"]
    )
    approval = data.get("approval") or {}
    return RailCheck(
        rails, int(data["total_changes"]),
        approval_reason=str(approval["reason"]) if approval else None,
        approval_max=int(approval.get("max_changes", 0)),
        approval_at=str(approval.get("declared_at", "")),
        loosened=tuple(str(x) for x in data.get("loosened") or ()),
    )
