"""Budgets in desired/ vs /budget/list -> budget changes. Pure.

A budget has no metadata, so no record of what the tool last applied: its changes are never
called drift. A budget the pinned key draws on is never narrowed (kinds/key/reach.py).
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.diffing import field_changes
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.live import KIND, LiveBudget, budget_id, budgets_of
from reconciler.core.kinds.budget.schema import Budget
from reconciler.core.kinds.key.reach import narrowed, pinned_owners, pinned_refusal


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    scope = estate.settings.scope
    marker = marker_for(scope)
    by_id = {b.id: b for b in budgets_of(live)}
    pinned = pinned_owners(estate, live)["budget"]
    conflicts: list[str] = []
    for budget in estate.budgets:
        found = by_id.pop(budget_id(scope, budget.name), None)
        if found is None and budget.adopt:
            found = by_id.pop(budget.name, None)
        if found is None:
            if budget.name in by_id and by_id[budget.name].marker is None:
                acc.warnings.append(
                    f"budget {budget.name!r}: an unmanaged budget has that id; the tool "
                    f"creates its own ({budget_id(scope, budget.name)}); `adopt: true` uses "
                    "that one instead")
            acc.changes.append(Change(KIND, Verb.CREATE, budget.name, after=create_body(
                budget, scope)))
            continue
        change = _update(budget, found)
        if change is not None:
            problem = narrowed(change.before, change.after) if found.id in pinned else []
            if problem:
                conflicts.append(f"budget {budget.name!r}: " + pinned_refusal(
                    "that budget", problem))
            else:
                acc.changes.append(change)
    for left in by_id.values():
        if left.marker != marker:
            acc.untouched.append(_untouched(left))
        elif left.id in pinned:
            acc.warnings.append(f"budget {left.name!r} left desired/ but the pinned key draws "
                                "on it: it stays")
        elif estate.settings.removed_budgets == "delete":
            acc.changes.append(Change(KIND, Verb.DELETE, left.name, before=_shown(left.limits),
                                      ref=left.id, reason="removed from desired/"))
        else:
            acc.warnings.append(
                f"budget {left.name!r} left desired/: it stays (a budget cannot be blocked); "
                "settings.removed_budgets: delete deletes it")
    return conflicts


def create_body(budget: Budget, scope: str) -> dict[str, Any]:
    return {"budget_id": budget_id(scope, budget.name),
            **{k: v for k, v in budget.limits().items() if v is not None}}


def _update(budget: Budget, live: LiveBudget) -> Change | None:
    ignored = set(budget.ignore_fields)
    want = {k: v for k, v in budget.limits().items() if k not in ignored}
    have = {k: live.limits.get(k) for k in want}
    before, after = field_changes(have, want)
    if not after:
        return None
    reason = "adopted: used in place (its id stays)" if live.marker is None else None
    return Change(KIND, Verb.UPDATE, budget.name, before=before, after=after, ref=live.id,
                  reason=reason)


def _shown(limits: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in limits.items() if v is not None}


def _untouched(live: LiveBudget) -> Untouched:
    if live.marker is None:
        return Untouched("unmanaged_budget", live.id)
    return Untouched("other_scope_budget", live.name, f"({live.marker})")
