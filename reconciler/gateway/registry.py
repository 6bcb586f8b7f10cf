"""The gateway side of each kind: how a plan reads it and what carries out its changes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from reconciler.gateway.kinds import budget, key, model, routing, team, user


@dataclass(frozen=True)
class GatewayKind:
    read: Callable[[Any], Any]
    writer: Callable[..., Any]
    # A read that fans its pages out over the client's pool runs outside it (in a thread
    # of its own); the others run in the pool meanwhile.
    inline: bool = False


GATEWAY_KINDS: dict[str, GatewayKind] = {
    "key": GatewayKind(key.read, key.KeyWriter, inline=True),
    "model": GatewayKind(model.read, model.ModelWriter),
    "routing": GatewayKind(routing.read, routing.RoutingWriter),
    "budget": GatewayKind(budget.read, budget.BudgetWriter),
    "user": GatewayKind(user.read, user.UserWriter, inline=True),
    "team": GatewayKind(team.read, team.TeamWriter, inline=True),
}


def read_rows(client: Any, kinds: Collection[str]) -> dict[str, Any]:
    """Every kind in `kinds` read from the gateway, all at once. The paged reads run side by
    side, each in a thread of its own, handing its pages to the client's pool: page 1 of
    every list is asked together and the pool never idles between one list and the next.
    The pool alone bounds the requests in flight (--parallelism)."""
    pending = {name: client.pool.submit(partial(GATEWAY_KINDS[name].read, client))
               for name in kinds if not GATEWAY_KINDS[name].inline}
    paged = [name for name in kinds if GATEWAY_KINDS[name].inline]
    with ThreadPoolExecutor(max(1, len(paged)), thread_name_prefix="reconciler-list") as lanes:
        lists = {name: lanes.submit(GATEWAY_KINDS[name].read, client) for name in paged}
        rows = {name: future.result() for name, future in lists.items()}
    rows.update({name: future.result() for name, future in pending.items()})
    return rows
