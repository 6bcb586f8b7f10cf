"""The gateway side of each kind: how a plan reads it and what carries out its changes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

from reconciler.gateway.kinds import budget, key, model, routing, team, user


@dataclass(frozen=True)
class GatewayKind:
    read: Callable[[Any], Any]
    writer: Callable[..., Any]
    # A read that fans its pages out over the client's pool runs in the calling thread; the
    # others run in the pool meanwhile.
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
    """Every kind in `kinds` read from the gateway: the pool's reads while the inline ones
    run here."""
    pending = {name: client.pool.submit(partial(GATEWAY_KINDS[name].read, client))
               for name in kinds if not GATEWAY_KINDS[name].inline}
    rows = {name: GATEWAY_KINDS[name].read(client)
            for name in kinds if GATEWAY_KINDS[name].inline}
    rows.update({name: future.result() for name, future in pending.items()})
    return rows
