"""Model and routing changes in force on every replica: each reloaded, then checked.

A model or config write reloads the router only on the replica that handled it; the others
reread the database every `proxy_config_reload_interval_seconds` (30 s), or ~2-6 s after it
when Redis broadcasts the change. `/config/update` with an empty body writes nothing and
reloads that replica's models and database config (fallbacks included) at once, the same
reload the periodic one does: sent to every replica named after apply. A replica's
`/model/info?litellm_model_id=` answers from its own router, so `--wait` checks there that it
serves each deployment with this apply's record (created, updated) or none (deleted).
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
from reconciler.gateway.replicas import Confirmation, Replicas

# Without a reload of every replica: their reload interval and the Redis debounce, with margin.
RELOAD_BOUND = 40.0


def reload_everywhere(replicas: Replicas) -> tuple[Confirmation, ...]:
    def accept(answer: Any) -> str:
        return "" if isinstance(answer, dict) else "the answer is not LiteLLM's"

    return replicas.send("POST", "/config/update", {}, time.monotonic(), accept)


@dataclass(frozen=True)
class Served:
    address: str
    seconds: float | None  # after the wait began; None: not by the deadline
    pending: tuple[str, ...] = ()  # replicas that did not serve it by then

    def text(self, replicas: int) -> str:
        if self.seconds is None:
            return (f"{self.address}: NOT served by {', '.join(self.pending)} after the wait "
                    "(run health, or apply --wait again)")
        if self.address.startswith("routing."):
            return (f"{self.address}: in force on every replica ({replicas}), each reloaded "
                    "from the database")
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
    say: Callable[[str], None], *, reloaded: bool,
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> list[Served]:
    """Poll each target (every replica's client, or the base URL's alone) until it serves
    every model change, at most `timeout` seconds. Routing has no per-replica reading: in
    force once every replica `reloaded`, else waited out to RELOAD_BOUND."""
    start = clock()
    models = {c.address: c for c in changes if c.kind == "model"}
    routing = [c for c in changes if c.kind == "routing"]
    pending = {(address, i) for address in models for i in range(len(targets))}
    served: dict[str, float] = {}
    told = 0.0
    while True:
        for address, index in sorted(pending):
            if _serves(targets[index], models[address]):
                pending.discard((address, index))
        now = clock() - start
        served.update({a: now for a in models
                       if a not in served and all(p != a for p, _ in pending)})
        routing_left = bool(routing) and not reloaded and now < RELOAD_BOUND
        if (not pending and not routing_left) or now >= timeout:
            break
        if now - told >= 5:
            told = now
            say(f"  waiting: {len(pending)} model change(s) not yet served on every replica"
                + (", routing within the replicas' reload interval" if routing_left else "")
                + f" ({now:.0f} s of at most {timeout:g} s)")
        sleep(1.0)
    end = clock() - start
    results = [Served(a, served.get(a), tuple(targets[i].base_url for p, i in sorted(pending)
                                              if p == a)) for a in models]
    routed = reloaded or end >= RELOAD_BOUND
    results += [Served(c.address, end if routed else None,
                       () if routed else ("every replica (reload interval)",)) for c in routing]
    return results
