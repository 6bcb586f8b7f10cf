"""`reconciler import` for routing: the live fallbacks, declared whole or not at all. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.imported import ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.routing.live import fallbacks_of


def import_fallbacks(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    fallbacks = fallbacks_of(live)
    if existing.manages_fallbacks or not fallbacks:
        return
    known = existing.model_names() | set(out.config_models) | {m["model_name"] for m in out.models}
    unknown = sorted(g for g, t in fallbacks.items() if g not in known or set(t) - known)
    if unknown:
        # Declared fallbacks are owned whole: a partial list would make the next plan delete
        # the rest. Leave them undeclared (never touched) and say why.
        out.notes.append(
            f"fallbacks not imported: group(s) {', '.join(unknown)} name models not imported; "
            "declare fallbacks by hand to manage them"
        )
        return
    out.fallbacks = dict(fallbacks)
