"""desired Estate + LiveState -> Plan. The whole decision of what to change lives here. Pure."""

from __future__ import annotations

from reconciler.core.engine.changes import PlanInputs
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.plan import Plan
from reconciler.core.errors import PlanError
from reconciler.core.input.desired import Estate
from reconciler.core.registry import KINDS


def plan_changes(estate: Estate, live: LiveState) -> Plan:
    """Every kind diffs its part; PlanError when no safe plan exists (e.g. an alias owned by
    an unmanaged key), naming every conflict of every kind at once."""
    acc = PlanInputs()
    conflicts: list[str] = []
    for kind in KINDS:
        if kind.reads(estate):
            conflicts += kind.diff(estate, live, acc)
    if conflicts:
        raise PlanError("no plan is possible:\n  " + "\n  ".join(conflicts))
    for kind in KINDS:
        acc.warnings.extend(kind.claims(live))
    return Plan(
        changes=tuple(acc.changes),
        untouched=tuple(acc.untouched),
        warnings=tuple(acc.warnings),
        holds=tuple(acc.holds),
        existing={k.name: k.managed(estate, live) for k in KINDS
                  if k.managed is not None and k.reads(estate)},
        live_fingerprint=live.fingerprint(),
        reads=tuple(k.name for k in KINDS if k.reads(estate)),
        safety=estate.settings.safety,
        approval_at=estate.approval_at,
    )


def reads(estate: Estate) -> tuple[str, ...]:
    """The kinds a plan of this estate reads from the gateway."""
    return tuple(k.name for k in KINDS if k.reads(estate))
