"""Declared key rotation. Pure.

Bumping an agent's `rotation` serial in desired/ plans two changes, in this order:

1. rotate_key: the old key leaves the agent's alias (LiteLLM keeps aliases unique) for
   `AGENT#rotation-N`, is recorded as rotated out, and gets the agent's `rotation_grace` as
   its lifetime, so the gateway itself stops it when the grace period ends;
2. create_key: a new key under the agent's alias, secret to the sink first like every
   create, starting from the old key's spend so the budget does not restart.

A later plan blocks a rotated-out key once it has expired. Every key keeps `metadata.agent`,
so usage attributes the old key's spend to the agent. `/key/regenerate` would do this in one
call, but the open-source proxy refuses it (Enterprise only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Agent, Estate
from reconciler.core.kinds.key.fields import DURATION_FIELD, ROTATED_FIELD, change
from reconciler.core.kinds.key.holds import is_held, tool_block
from reconciler.core.kinds.key.live import LiveKey


def retired_alias(agent: str, serial: int, taken: Collection[str | None] = ()) -> str:
    """`AGENT#rotation-N`, or `AGENT#rotation-N.2`... when a key re-created since holds it."""
    alias = f"{agent}#rotation-{serial}"
    suffix = 2
    while alias in taken:
        alias, suffix = f"{agent}#rotation-{serial}.{suffix}", suffix + 1
    return alias


def rotate_key(
    agent: Agent, live: LiveKey, acc: PlanInputs, taken: Collection[str | None] = ()
) -> Change | None:
    """The rotate_key change for an agent whose serial went up, or None (warned when a
    rotation is declared but must wait). `taken`: the aliases live keys hold."""
    if agent.rotation is None or agent.rotation == live.rotation:
        return None
    why_not = _why_not(agent, live)
    if why_not:
        acc.warnings.append(f"agent {agent.name!r}: {why_not}")
        return None
    record = {"agent": agent.name, "serial": live.rotation, "next": agent.rotation,
              "grace": agent.rotation_grace}
    return change(
        Verb.ROTATE, agent.name,
        ref=live.token,
        label=live.key_name,
        before={"key_alias": agent.name, "duration": live.metadata.get(DURATION_FIELD),
                "metadata": live.metadata},
        after={"key_alias": retired_alias(agent.name, live.rotation, taken),
               "duration": agent.rotation_grace,
               "metadata": {**live.metadata, ROTATED_FIELD: record}},
        reason=f"rotation {live.rotation} → {agent.rotation}: a new key takes the alias; "
        f"this one works {agent.rotation_grace} more, then is blocked",
    )


def _why_not(agent: Agent, live: LiveKey) -> str | None:
    if agent.rotation is not None and agent.rotation < live.rotation:
        return (f"rotation {agent.rotation} is below its key's {live.rotation}; the serial "
                "only goes up, so nothing rotates")
    if agent.protected:
        return "is protected; a rotation ends by blocking the old key: set protected: false"
    if is_held(live, agent.blocked):
        return "its key is held blocked outside desired/; it rotates after `reconciler unblock`"
    return None


def spend_source(agent: Agent, rotated_out: Iterable[LiveKey]) -> str | None:
    """The key a new key of this agent takes its spend from: the one a rotation just moved out
    (also when the run that rotated it stopped before creating the successor)."""
    mine = [k for k in rotated_out if (k.rotated or {}).get("agent") == agent.name]
    latest = max(mine, key=lambda k: k.rotation, default=None)
    return None if latest is None or latest.blocked else latest.token


def expired_changes(
    rotated_out: Iterable[LiveKey], agents: set[str], read_at: dt.datetime | None,
    acc: PlanInputs,
) -> tuple[list[Change], list[LiveKey]]:
    """Blocks for rotated-out keys past their grace period, and the keys whose agent is gone
    (retired like any key no agent claims). Keys still in their grace period are listed."""
    changes: list[Change] = []
    orphans: list[LiveKey] = []
    for key in rotated_out:
        owner = str((key.rotated or {}).get("agent"))
        if owner not in agents:
            orphans.append(key)
        elif key.blocked:
            continue
        elif key.expires is None or (read_at is not None and key.expires <= read_at):
            changes.append(_block_expired(key, owner))
        else:
            until = key.expires.strftime("%Y-%m-%dT%H:%M:%SZ")
            acc.untouched.append(
                Untouched("rotating_key", str(key.alias), f"{key.key_name} works until {until}")
            )
    return changes, orphans


def still_working(estate: Estate, keys: Iterable[LiveKey], agent: str) -> list[LiveKey]:
    """The agent's rotated-out keys of this scope that are not blocked yet: an incident block
    of the agent stops them too, or its grace period would keep it spending."""
    return [k for k in keys
            if k.marker == marker_for(estate.settings.scope) and not k.blocked
            and (k.rotated or {}).get("agent") == agent and not estate.is_pinned(k.token, k.alias)]


def _block_expired(key: LiveKey, owner: str) -> Change:
    when = "it has no expiry" if key.expires is None else "its grace period is over"
    return tool_block(key, f"rotated out of {owner!r}: {when}")
