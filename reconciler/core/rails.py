"""Safety rails: how much of the managed estate one plan changes, evaluated with the plan.

Each kind (keys, models) is measured against the managed objects of that kind that exist
BEFORE the plan, so creates never dilute a removal. A replacement (a model re-created, a
working key deleted and re-created) counts as a destroy. The evaluation travels with the plan
(every format shows it), and apply evaluates it again from the live gateway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.core.changes import Action, Change, needs_recreate
from reconciler.core.safety import Safety

PASSED, APPROVED, REFUSED = "passed", "approved", "refused"


@dataclass(frozen=True)
class Rail:
    kind: str  # key | model
    measure: str  # update | destroy
    count: int
    base: int  # managed objects of the kind before the plan
    limit: float
    checked: bool  # False when the base is under min_existing

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
        text = (f"too many {_WHAT[rail.kind, rail.measure]}: {rail.share:.0%} is over "
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


_WHAT = {
    ("key", "update"): "key updates",
    ("key", "destroy"): "key blocks and deletes",
    ("model", "update"): "model updates",
    ("model", "destroy"): "model deletes and re-creates",
}


def evaluate(changes: Iterable[Change], safety: Safety, bases: dict[str, int],
             approval_at: str = "") -> RailCheck:
    changes = list(changes)
    counts = Counter(c.action for c in changes)
    replaced_models = sum(is_replacement(c) for c in changes)
    harmless = len(harmless_replacements(changes))
    measured = {
        # A rotation replaces the key every caller of that agent holds: a key update.
        ("key", "update"): counts[Action.UPDATE_KEY] + counts[Action.ROTATE_KEY],
        ("key", "destroy"): counts[Action.BLOCK_KEY] + counts[Action.DELETE_KEY] - harmless,
        ("model", "update"): counts[Action.UPDATE_MODEL] - replaced_models,
        ("model", "destroy"): counts[Action.DELETE_MODEL] + replaced_models,
    }
    limits = {"update": safety.max_update_share, "destroy": safety.max_destroy_share}
    rails = tuple(
        Rail(kind, measure, count, bases[kind], limits[measure],
             checked=bases[kind] >= safety.min_existing)
        for (kind, measure), count in measured.items()
    )
    approval = safety.approve_large_change
    return RailCheck(
        rails, total=len(changes) + replaced_models,
        approval_reason=approval.reason if approval else None,
        approval_max=approval.max_changes if approval else 0,
        approval_at=approval_at,
        loosened=safety.loosened(),
    )


def is_replacement(change: Change) -> bool:
    """A model deployment re-created under its id (LiteLLM cannot unset a setting in place)."""
    return change.action is Action.UPDATE_MODEL and needs_recreate(change.after)


def harmless_replacements(changes: Iterable[Change]) -> list[Change]:
    """Deletes of a blocked key that the same plan re-creates (its secret never reached a
    sink): nobody can use that key, so removing it is not counted as destructive."""
    changes = list(changes)
    created = {c.target for c in changes if c.action is Action.CREATE_KEY}
    return [
        c
        for c in changes
        if c.action is Action.DELETE_KEY and c.target in created and c.before.get("blocked") is True
    ]


def totals(changes: Iterable[Change]) -> dict[str, int]:
    """Terraform's counts: a replacement is one add and one destroy; rotations (the successor
    counts as an add), blocks, unblocks and adoptions are counted apart."""
    changes = list(changes)
    counts = Counter(c.action for c in changes)
    replaced_models = sum(is_replacement(c) for c in changes)
    created = {c.target for c in changes if c.action is Action.CREATE_KEY}
    replaced_keys = sum(c.action is Action.DELETE_KEY and c.target in created for c in changes)
    return {
        "add": counts[Action.CREATE_KEY] + counts[Action.CREATE_MODEL] + replaced_models,
        "change": counts[Action.UPDATE_KEY] + counts[Action.UPDATE_MODEL]
        + counts[Action.UPDATE_FALLBACKS] - replaced_models,
        "destroy": counts[Action.DELETE_KEY] + counts[Action.DELETE_MODEL] + replaced_models,
        "replace": replaced_models + replaced_keys,
        "rotate": counts[Action.ROTATE_KEY],
        "block": counts[Action.BLOCK_KEY],
        "unblock": counts[Action.UNBLOCK_KEY],
        "adopt": counts[Action.ADOPT_KEY] + counts[Action.ADOPT_MODEL],
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
