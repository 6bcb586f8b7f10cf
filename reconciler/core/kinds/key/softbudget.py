"""A key's soft budget lives in the budget row its budget_id names. Setting it on a key whose
row other keys share, or that is a budget of desired/'s, would change theirs too: refused,
saying what to do instead. Pure."""

from __future__ import annotations

from collections import Counter

from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.key.live import LiveKey


def shared_rows(estate: Estate, keys: list[LiveKey]) -> list[str]:
    """One problem per agent whose declared soft_budget would land in a shared budget row."""
    users = Counter(k.budget_id for k in keys if k.budget_id)
    managed = f"{marker_for(estate.settings.scope)}:"
    declared = {b.name for b in estate.budgets}
    by_alias = {k.alias: k for k in keys if k.rotated is None}
    problems = []
    for agent in estate.agents:
        key = by_alias.get(agent.name)
        if agent.soft_budget is None or key is None or key.budget_id is None:
            continue
        row = key.budget_id
        if row.startswith(managed) or row in declared:
            whose = "a budget of desired/"
        elif users[row] > 1:
            whose = f"shared with {users[row] - 1} other key(s)"
        else:
            continue
        problems.append(f"agent {agent.name!r}: its key draws on the budget row {row!r}, "
                        f"{whose}: a soft_budget there changes it for every key on it; declare "
                        "it on that budget (budgets:) or move the key off it")
    return problems
