"""Which key changes take something away from the key's holder. Pure.

Each LiteLLM replica keeps the key objects it authenticated in its own memory for
`general_settings.user_api_key_cache_ttl` (60 s by default) and a write evicts them only on
the replica that handled it. So a change that widens a key (a new model, a higher budget) may
reach the other replicas late at no risk, but one that narrows it must be made effective on
every replica: the gateway layer sends it to each (gateway/replicas.py) when this says so.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.kinds.key.fields import KIND

# LiteLLM's own default for user_api_key_cache_ttl (proxy_server.py: `in_memory_cache_ttl`).
DEFAULT_CACHE_TTL = 60.0
# Limits where a lower number allows less (budget_duration is a window, not a ceiling).
_CEILINGS = ("max_budget", "rpm_limit", "tpm_limit")


def is_revocation(change: Change) -> bool:
    """True for a key change after which the key may do less than before: a block, a delete,
    or an update that drops a model, lowers a ceiling, or gives the key a lifetime."""
    if change.kind != KIND:
        return False
    if change.verb in (Verb.BLOCK, Verb.DELETE):
        return True
    if change.verb is not Verb.UPDATE:
        # A rotation only starts the old key's grace period; its retirement is a block.
        return False
    return narrows(change.before, change.after)


def narrows(before: dict[str, Any], after: dict[str, Any]) -> bool:
    if after.get("blocked") is True and before.get("blocked") is not True:
        return True
    if "models" in after and _dropped(before.get("models"), after.get("models")):
        return True
    for field in _CEILINGS:
        if field in after and _lower(before.get(field), after.get(field)):
            return True
    # A lifetime where there was none, or a shorter one: the key stops working sooner.
    return "duration" in after and after["duration"] is not None


def _dropped(before: object, after: object) -> bool:
    if not isinstance(after, list) or not after:
        return False  # [] means every model in LiteLLM; the guard refuses it anyway
    if not isinstance(before, list) or not before:
        return True  # from every model to a list
    return bool(set(map(str, before)) - set(map(str, after)))


def _lower(before: object, after: object) -> bool:
    if after is None or isinstance(after, bool) or not isinstance(after, int | float):
        return False  # unset: no limit at all, a widening
    if before is None or isinstance(before, bool) or not isinstance(before, int | float):
        return True  # a limit where there was none
    return after < before


def cache_ttl_text(ttl: float, source: str, what: str = "this key") -> str:
    """How long other replicas may go on accepting a revoked key, said the same way by apply
    and block: "other replicas may accept this key for up to 60 s (LiteLLM's default)"."""
    return f"other replicas may accept {what} for up to {ttl:g} s ({source})"
