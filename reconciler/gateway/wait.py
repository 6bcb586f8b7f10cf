"""apply --wait: until every replica serves the models (and routing) apply changed.

A model write reloads the router only on the replica that handled it; the others reread the
database every `proxy_config_reload_interval_seconds` (30 s), or within ~10 s when Redis
broadcasts the change. A replica's `/model/info?litellm_model_id=` answers from its own
router, so it shows what that replica serves: the deployment with the tool's record of this
apply (created or updated), or none (deleted). No endpoint shows a replica's live fallbacks,
so routing is waited out for the reload interval (their bound), and said so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.errors import GatewayError
from reconciler.core.kinds.model.live import MODEL_RECORD_FIELD
from reconciler.gateway.kinds.model import ModelCalls

# The other replicas' reload interval and the Redis debounce (1 s + up to 5 s), with margin.
ROUTING_BOUND = 40.0


@dataclass(frozen=True)
class Served:
    address: str
    seconds: float | None  # after the wait began; None: not by the deadline
    pending: tuple[str, ...] = ()  # replicas that did not serve it by then

    def text(self, replicas: int) -> str:
        if self.address.startswith("routing.") and self.seconds is not None:
            return (f"{self.address}: in force on every replica by now (their reload "
                    f"interval, {ROUTING_BOUND:g} s, waited out)")
        if self.seconds is None:
            return (f"{self.address}: NOT served by {', '.join(self.pending)} after the wait "
                    "(run health, or apply --wait again)")
        return (f"{self.address}: served by every replica ({replicas}) "
                f"{self.seconds:.1f} s after apply")


def _expected(change: Change) -> str | None:
    """The record sha256 a replica serving this change shows (None: it serves no such id)."""
    if change.verb is Verb.DELETE:
        return None
    info = (change.spec or change.after).get("model_info") or {}
    record = info.get(MODEL_RECORD_FIELD) or {}
    return str(record.get("sha256"))


def _serves(client: ModelCalls, change: Change) -> bool:
    try:
        row = client.model_by_id(change.target)
    except GatewayError:
        return False  # a replica down or answering 500 does not serve anything yet
    if row is None:
        return _expected(change) is None
    record = (row.get("model_info") or {}).get(MODEL_RECORD_FIELD) or {}
    return _expected(change) is not None and str(record.get("sha256")) == _expected(change)


def wait_served(
    targets: list[Any], changes: list[Change], timeout: float,
    say: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Served]:
    """Poll each target (a replica's client, or the base URL's alone) until it serves every
    model change, at most `timeout` seconds; routing changes are waited out to their bound."""
    start = clock()
    models = [c for c in changes if c.kind == "model"]
    routing = [c for c in changes if c.kind == "routing"]
    pending = {(c.address, i) for c in models for i in range(len(targets))}
    served: dict[str, float] = {}
    told = 0.0
    while True:
        for address, index in sorted(pending):
            change = next(c for c in models if c.address == address)
            if _serves(targets[index], change):
                pending.discard((address, index))
        now = clock() - start
        for change in models:
            if change.address not in served and not any(a == change.address for a, _ in pending):
                served[change.address] = now
        waiting_routing = routing and now < ROUTING_BOUND
        if (not pending and not waiting_routing) or now >= timeout:
            break
        if now - told >= 5:
            told = now
            say(f"  waiting: {len(pending)} model change(s) not yet served on every replica"
                + (", routing in its reload interval" if waiting_routing else "")
                + f" ({now:.0f} s of at most {timeout:g} s)")
        sleep(1.0)
    results = [Served(c.address, served.get(c.address),
                      tuple(targets[i].base_url for a, i in sorted(pending) if a == c.address))
               for c in models]
    end = clock() - start
    results += [Served(c.address, end if end >= ROUTING_BOUND else None,
                       () if end >= ROUTING_BOUND else ("every replica (reload interval)",))
                for c in routing]
    return results
