"""The guard's rules for budgets (see engine/guard.py for the promises). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for, owner
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.live import LiveBudget, budget_id, budgets_of
from reconciler.core.kinds.budget.schema import BUDGET_LIMITS
from reconciler.core.kinds.key.reach import narrowed, pinned_owners, pinned_refusal


@dataclass(frozen=True)
class BudgetGuardContext:
    scope: str
    budgets: dict[str, LiveBudget]  # by id
    adopted: frozenset[str]  # names desired/ uses in place (adopt: true)
    declared: frozenset[str]
    pinned: frozenset[str]  # budget ids the pinned key draws on

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> BudgetGuardContext:
        return cls(
            estate.settings.scope,
            {b.id: b for b in budgets_of(live)},
            frozenset(b.name for b in estate.budgets if b.adopt),
            frozenset(b.name for b in estate.budgets),
            pinned_owners(estate, live)["budget"],
        )


def _create(ctx: BudgetGuardContext, change: Change) -> str | None:
    if change.target not in ctx.declared:
        return "desired/ declares no such budget"
    if change.after.get("budget_id") != budget_id(ctx.scope, change.target):
        return f"its budget_id must be {budget_id(ctx.scope, change.target)!r}"
    if change.after["budget_id"] in ctx.budgets:
        return "a budget with that id already exists"
    return _fields(change)


def _update(ctx: BudgetGuardContext, change: Change) -> str | None:
    live = ctx.budgets.get(change.ref or "")
    if live is None:
        return "no live budget has that id"
    mine = live.marker == marker_for(ctx.scope) and live.name == change.target
    adopted = live.marker is None and live.id == change.target and change.target in ctx.adopted
    if not (mine or adopted):
        return f"that budget is not managed by this scope ({owner(live.marker)})"
    if live.id in ctx.pinned:
        shrinks = narrowed(live.limits, change.after)
        if shrinks:
            return pinned_refusal("that budget", shrinks)
    return _fields(change)


def _delete(ctx: BudgetGuardContext, change: Change) -> str | None:
    live = ctx.budgets.get(change.ref or "")
    if live is None or live.marker != marker_for(ctx.scope) or live.name != change.target:
        return "only a budget this scope created can be deleted"
    if live.id in ctx.pinned:
        return pinned_refusal("that budget", ["deleted"])
    if change.target in ctx.declared:
        return "desired/ still declares it"
    return None


def _fields(change: Change) -> str | None:
    extra = sorted(set(change.after) - {"budget_id", *BUDGET_LIMITS})
    return f"it sets fields the tool never writes: {', '.join(extra)}" if extra else None


RULES = {Verb.CREATE: _create, Verb.UPDATE: _update, Verb.DELETE: _delete}
