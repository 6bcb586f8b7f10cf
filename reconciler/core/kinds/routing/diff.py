"""desired/ fallbacks vs the gateway's router settings -> one routing change. Pure.

desired/ owns the whole fallback list when it declares one; else it is never read or written.
A fallbacks change whose live list is not the one the tool last applied (its record's digest)
is drift: someone changed it outside desired/ (a raw /config/update), as for keys and models.
"""

from __future__ import annotations

from reconciler.core.engine.changes import Change, PlanInputs, Verb
from reconciler.core.engine.diffing import field_changes
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.stamps import is_drift
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.routing.live import (
    KIND,
    fallbacks_digest,
    fallbacks_of,
    record_of,
    settings_of,
)

SETTINGS = "router_settings"  # the address routing.router_settings


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    _diff_settings(estate, live, acc)
    if not estate.manages_fallbacks:
        return []
    want = {group: list(targets) for group, targets in (estate.fallbacks or {}).items()}
    have = fallbacks_of(live) or {}
    before, after = field_changes(have, want)
    if after:
        acc.changes.append(
            Change(
                KIND, Verb.UPDATE, "fallbacks", before=before, after=after,
                spec={"fallbacks": [{group: targets} for group, targets in want.items()],
                      "record": fallbacks_digest(want)},
                drift=is_drift(record_of(live), fallbacks_digest(have)),
            )
        )
    return []


def _diff_settings(estate: Estate, live: LiveState, acc: PlanInputs) -> None:
    """The declared router settings beyond fallbacks, each one owned, the rest left alone."""
    want = estate.router_settings()
    if not want:
        return
    have = settings_of(live)
    before, after = field_changes({k: have.get(k) for k in want}, want)
    if after:
        acc.changes.append(Change(KIND, Verb.UPDATE, SETTINGS, before=before, after=after,
                                  spec={"router_settings": want}))


def reads(estate: Estate) -> bool:
    return estate.manages_fallbacks or bool(estate.router_settings())
