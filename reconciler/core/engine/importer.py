"""`reconciler import`: the live gateway -> desired/ declarations that describe it. Pure.

Every key the tool may manage becomes an agent marked `adopt: true`, every DB deployment a
model marked the same way, so the first plan proposes only adopt changes. Pinned keys, other
scopes' objects and config.yaml deployments are listed, never declared as managed; a key that
may call every model is a pin candidate, never an agent. Secrets are never written: each one
/model/info hides or masks is kept as the gateway holds it (ignore_fields).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from reconciler.core.engine.imported import ImportedAgent, ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate
from reconciler.core.registry import dependency_order

__all__ = ["ImportResult", "ImportedAgent", "import_live"]


def import_live(
    live: LiveState,
    existing: Estate,
    *,
    write_scope: bool,
    include: list[str] | None = None,
) -> ImportResult:
    """What desired/ must add to describe `live`; `existing` is the tree already there.
    Kinds import in dependency order: routing checks the models imported before it."""
    result = ImportResult(scope=existing.settings.scope if write_scope else None)
    wanted = _matcher(include)
    for kind in dependency_order():
        if kind.importer is not None:
            kind.importer(live, existing, wanted, result)
    return result


def _matcher(include: list[str] | None) -> Any:
    return lambda *names: not include or any(
        fnmatch.fnmatchcase(n, pattern) for n in names for pattern in include
    )
