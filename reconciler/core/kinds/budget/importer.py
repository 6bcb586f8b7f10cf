"""`reconciler import` for budgets: each budget the tool may use becomes a declaration. Pure."""

from __future__ import annotations

import re
from typing import Any

from reconciler.core.engine.imported import ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.live import budgets_of
from reconciler.core.kinds.budget.schema import NAME_PATTERN


def import_budgets(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    marker = marker_for(existing.settings.scope)
    declared = {b.name for b in existing.budgets}
    for budget in sorted(budgets_of(live), key=lambda b: b.id):
        if budget.name in declared or not wanted(budget.name):
            continue
        if budget.marker not in (None, marker):
            out.listed.append(f"budget of another scope {budget.name} ({budget.marker})")
        elif not re.match(NAME_PATTERN, budget.name):
            out.notes.append(f"budget {budget.id!r} not imported: its id is no budget name")
        else:
            entry: dict[str, Any] = {"name": budget.name}
            entry.update({k: v for k, v in budget.limits.items() if v is not None})
            if budget.marker is None:
                entry["adopt"] = True  # used in place: its id stays what keys carry
            out.sections.setdefault("budgets", []).append(entry)
