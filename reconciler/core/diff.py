"""desired Estate + LiveState -> Plan. The whole decision of what to change lives here. Pure."""

from __future__ import annotations

from reconciler.core.changes import UpdateFallbacks
from reconciler.core.desired import Estate, PinnedKey
from reconciler.core.diff_keys import diff_keys
from reconciler.core.diff_models import diff_models
from reconciler.core.errors import PlanError
from reconciler.core.live import LiveKey, LiveState, marker_for
from reconciler.core.ownership import claim_warnings
from reconciler.core.plan import Plan, PlanInputs, Untouched


def plan_changes(estate: Estate, live: LiveState) -> Plan:
    """Raise PlanError when no safe plan exists (e.g. an alias owned by an unmanaged key)."""
    acc = PlanInputs()
    pinned_tokens = _pinned(estate.pinned, live.keys, acc)
    keys = [k for k in live.keys if k.token not in pinned_tokens]
    pinned_aliases = {k.alias for k in live.keys if k.token in pinned_tokens}
    conflicts = [
        f"agent {a.name!r}: the alias is held by a pinned key; rename the agent"
        for a in estate.agents
        if a.name in pinned_aliases
    ]
    conflicts += diff_keys(estate, keys, acc, live.read_at) + diff_models(estate, live.models, acc)
    if conflicts:
        raise PlanError("no plan is possible:\n  " + "\n  ".join(conflicts))
    marker = marker_for(estate.settings.scope)
    acc.warnings.extend(claim_warnings(live))
    acc.changes.extend(_diff_fallbacks(estate, live))
    return Plan(
        changes=tuple(acc.changes),
        untouched=tuple(acc.untouched),
        warnings=tuple(acc.warnings),
        holds=tuple(acc.holds),
        existing_keys=sum(k.marker == marker for k in keys),
        existing_models=sum(m.marker == marker for m in live.models),
        live_fingerprint=live.fingerprint(),
        manages_fallbacks=estate.manages_fallbacks,
        safety=estate.settings.safety,
        approval_at=estate.approval_at,
    )


def _diff_fallbacks(estate: Estate, live: LiveState) -> list[UpdateFallbacks]:
    """desired/ owns the whole fallback list when it declares one; else it is left alone."""
    if not estate.manages_fallbacks:
        return []
    want = {group: list(targets) for group, targets in (estate.fallbacks or {}).items()}
    have = live.fallbacks or {}
    changed = sorted(g for g in set(have) | set(want) if have.get(g) != want.get(g))
    if not changed:
        return []
    return [
        UpdateFallbacks(
            target="fallbacks",
            before={g: have.get(g) for g in changed},
            after={g: want.get(g) for g in changed},
            spec={"fallbacks": [{group: targets} for group, targets in want.items()]},
        )
    ]


def _pinned(pinned: tuple[PinnedKey, ...], keys: tuple[LiveKey, ...], acc: PlanInputs) -> set[str]:
    """Tokens of every live key a pinned entry names; those keys leave the diff entirely."""
    tokens: set[str] = set()
    for entry in pinned:
        label = entry.alias or f"sha256:{str(entry.key_sha256)[:12]}..."
        matches = [k for k in keys if entry.pins(k.token, k.alias)]
        if not matches:
            acc.warnings.append(f"pinned key {label} is missing on the gateway")
        for key in matches:
            tokens.add(key.token)
            state = "blocked" if key.blocked else "untouched"
            acc.untouched.append(Untouched("pinned_key", label, f"{key.key_name} {state}"))
            if key.blocked:
                acc.warnings.append(
                    f"pinned key {label} ({key.key_name}) is blocked on the gateway"
                )
    return tokens

