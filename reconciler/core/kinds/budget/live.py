"""A budget as read from /budget/list, normalised for diffing. Pure.

A budget row has no metadata, so the ownership marker lives in its id: the tool creates
`MARKER:NAME` (`reconciler:shared-small`, `reconciler/staging:shared-small`). Nobody else
picks such an id by accident, and the id is what keys and teams carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.live import LiveState, whole
from reconciler.core.engine.markers import marker_for, read_marker
from reconciler.core.kinds.budget.schema import BUDGET_LIMITS

KIND = "budget"


def budget_id(scope: str, name: str) -> str:
    """The budget_id the tool gives the budget `name` of `scope`."""
    return f"{marker_for(scope)}:{name}"


@dataclass(frozen=True)
class LiveBudget:
    id: str
    limits: dict[str, Any]

    @property
    def marker(self) -> str | None:
        head, sep, _ = self.id.partition(":")
        return read_marker(head) if sep else None

    @property
    def name(self) -> str:
        """The desired/ name: the id without the marker (an unmanaged budget: its id)."""
        return self.id.partition(":")[2] if self.marker else self.id


def parse_budget(row: dict[str, Any]) -> LiveBudget:
    return LiveBudget(str(row.get("budget_id")), {n: whole(row.get(n)) for n in BUDGET_LIMITS})


def parse_budgets(rows: list[dict[str, Any]]) -> tuple[LiveBudget, ...]:
    return tuple(parse_budget(r) for r in rows if r.get("budget_id"))


def budgets_of(live: LiveState) -> tuple[LiveBudget, ...]:
    return tuple(live.part(KIND))


def fingerprint(budgets: tuple[LiveBudget, ...]) -> Any:
    return sorted([b.id, b.limits] for b in budgets)
