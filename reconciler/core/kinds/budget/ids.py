"""Which budget_id each declared budget has: the tool's `MARKER:NAME`, or the budget's own
name when desired/ uses an unmanaged budget in place (`adopt: true`). Pure."""

from __future__ import annotations

from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.live import budget_id, budgets_of


def budget_ids(estate: Estate, live: LiveState) -> dict[str, str]:
    scope = estate.settings.scope
    have = {b.id for b in budgets_of(live)}
    return {
        b.name: b.name if b.adopt and budget_id(scope, b.name) not in have and b.name in have
        else budget_id(scope, b.name)
        for b in estate.budgets
    }
