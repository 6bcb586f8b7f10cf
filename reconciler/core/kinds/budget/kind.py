"""The budget kind as the engine sees it."""

from __future__ import annotations

from reconciler.core.engine.changes import Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.diff import diff
from reconciler.core.kinds.budget.guard import RULES, BudgetGuardContext
from reconciler.core.kinds.budget.importer import import_budgets
from reconciler.core.kinds.budget.live import KIND, budgets_of, fingerprint, parse_budgets


def _managed(estate: Estate, live: LiveState) -> int:
    marker = marker_for(estate.settings.scope)
    return sum(b.marker == marker for b in budgets_of(live))


BUDGET = Kind(
    name=KIND,
    # Only when desired/ declares budgets: (even `budgets: []`); else they are left alone.
    reads=lambda estate: estate.declares("budgets"),
    noun="budget",
    plural="budgets",
    depends_on=(),
    verbs=(Verb.CREATE, Verb.UPDATE),
    # Deleted once no team or key is changed to need it.
    late=(Verb.DELETE,),
    parse=parse_budgets,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=BudgetGuardContext.build,
    guard_rules=RULES,
    managed=_managed,
    rail_words=("budget updates", "budget deletes"),
    untouched={
        "unmanaged_budget": ("unmanaged budget (not created by this tool; left alone)",
                             "unmanaged budget(s)"),
        "other_scope_budget": ("budget of another scope (left alone)",
                               "budget(s) of other scopes"),
    },
    importer=import_budgets,
)
