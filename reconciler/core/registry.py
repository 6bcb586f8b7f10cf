"""The kinds of gateway object the tool manages, and the order apply runs their phases in.

The only module that imports kinds by name. KINDS is the order people read them in (plans,
rails, counts); apply order comes from each kind's `depends_on`: creates and updates in
dependency order, each kind's `late` verbs (deletions) in reverse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.errors import PlanError
from reconciler.core.kinds.budget.kind import BUDGET
from reconciler.core.kinds.key.kind import KEY
from reconciler.core.kinds.model.kind import MODEL
from reconciler.core.kinds.routing.kind import ROUTING
from reconciler.core.kinds.team.kind import TEAM
from reconciler.core.kinds.user.kind import USER

KINDS: tuple[Kind, ...] = (KEY, MODEL, ROUTING, TEAM, USER, BUDGET)
_BY_NAME = {k.name: k for k in KINDS}


def kind(name: str) -> Kind:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise PlanError(f"unknown kind {name!r}") from None


def dependency_order(kinds: tuple[Kind, ...] = KINDS) -> tuple[Kind, ...]:
    """Kinds after everything they depend on; ties keep KINDS order. PlanError on a cycle."""
    done: list[Kind] = []
    left = list(kinds)
    while left:
        ready = [k for k in left if all(d in {x.name for x in done} for d in k.depends_on)]
        if not ready:
            raise PlanError(f"kinds depend on each other in a circle: {[k.name for k in left]}")
        done.append(ready[0])
        left.remove(ready[0])
    return tuple(done)


@cache
def phases() -> tuple[tuple[str, Verb], ...]:
    """(kind, verb) in apply order."""
    ordered = dependency_order()
    main = [(k.name, v) for k in ordered for v in k.verbs]
    late = [(k.name, v) for k in reversed(ordered) for v in k.late]
    return tuple(main + late)


@cache
def _phase_index() -> Mapping[tuple[str, Verb], int]:
    return MappingProxyType({phase: i for i, phase in enumerate(phases())})


def phase_of(change: Change) -> int:
    """The change's phase in apply order; PlanError for a verb its kind does not have."""
    try:
        return _phase_index()[change.kind, change.verb]
    except KeyError:
        raise PlanError(f"{change.address}: a {change.kind} has no verb {change.verb.value!r}") \
            from None


def parse_live(rows: Mapping[str, Any], read_at: dt.datetime | None = None) -> LiveState:
    """What the gateway modules read, per kind -> LiveState; kinds not read are left out."""
    parts = {k.name: k.parse(rows[k.name]) for k in KINDS if k.name in rows}
    data = {name: kind(name).fingerprint(part) for name, part in parts.items()}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return LiveState(MappingProxyType(parts), read_at, fingerprint)
