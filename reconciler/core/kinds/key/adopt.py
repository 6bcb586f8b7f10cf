"""Adoption: taking over a key the tool did not create, as a reviewed change. Pure.

Adopting stamps the ownership marker (and the alias on a key that has none) with one
/key/update or PATCH: the secret, the spend and the key's identity stay as they are, so the
agent holding the key keeps working. Only unmarked objects are ever adopted; another scope's
objects and pinned keys (removed from the diff before this runs) never are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.input.desired import Agent
from reconciler.core.kinds.key.fields import change
from reconciler.core.kinds.key.holds import hold_entry, is_held
from reconciler.core.kinds.key.live import LiveKey
from reconciler.core.kinds.key.metadata import field_diff, written_metadata

if TYPE_CHECKING:
    from reconciler.core.engine.changes import PlanInputs

_WAYS_OUT = (
    "adopt it with `adopt: true` on the agent (or run `reconciler import`), "
    "rename the agent, or remove that key by hand"
)


def hash_name(token: str) -> str:
    """The stable agent name of a key with neither alias nor metadata.agent."""
    return f"key-{token[:12]}"


def claims(agent_name: str, key: LiveKey) -> bool:
    """Whether an unaliased key is the one an agent of this name stands for."""
    return key.alias is None and (
        key.metadata.get("agent") == agent_name or agent_name == hash_name(key.token)
    )


def claim_conflict(agent_name: str, key: LiveKey) -> str:
    return (
        f"agent {agent_name!r}: the alias is held by a key that claims to be the tool's but is "
        f"not proven so ({key.key_name}, {key.marker}); it is never taken over: "
        "delete that key by hand (it may be a planted key whose secret someone else knows), "
        "or rename the agent"
    )


def find_adoptable(agent: Agent, foreign: list[LiveKey]) -> tuple[LiveKey | None, str | None]:
    """The one unmarked key this agent stands for (None: create one), or a conflict."""
    by_alias = [k for k in foreign if k.alias == agent.name]
    scoped = [k for k in by_alias if k.marker is not None]
    if scoped and scoped[0].claim:
        return None, claim_conflict(agent.name, scoped[0])
    if scoped:
        return None, (
            f"agent {agent.name!r}: the alias is held by another scope's key "
            f"({scoped[0].key_name}, {scoped[0].marker}); it is never taken: rename the agent"
        )
    candidates = by_alias or [k for k in foreign if k.marker is None and claims(agent.name, k)]
    if not candidates:
        return None, None
    names = ", ".join(k.key_name for k in candidates)
    if len(candidates) > 1:
        return None, (
            f"agent {agent.name!r}: {len(candidates)} keys this scope did not create match it "
            f"({names}); adoption needs exactly one: remove or rename the others by hand"
        )
    if not agent.adopt:
        what = "the alias is taken by" if by_alias else "metadata.agent names it on"
        return None, (
            f"agent {agent.name!r}: {what} a key this scope did not create ({names}); " + _WAYS_OUT
        )
    return candidates[0], None


def adopt_key(agent: Agent, live: LiveKey, scope: str, acc: PlanInputs) -> list[Change]:
    """One change: the marker, the record, the alias if missing, and any field desired/
    declares differently (shown like an update). A hand-made block is held, never lifted."""
    before, after = field_diff(agent, live, scope)
    if live.alias is None:
        before["key_alias"], after["key_alias"] = None, agent.name
    before["metadata"], after["metadata"] = live.metadata, written_metadata(agent, live, scope)
    if is_held(live, agent.blocked):
        acc.holds.append(hold_entry(agent.name, live))
    elif agent.blocked != live.blocked:
        before["blocked"], after["blocked"] = live.blocked, agent.blocked
    return [
        change(
            Verb.ADOPT, agent.name,
            before=before,
            after=after,
            ref=live.token,
            label=live.key_name,
            reason="adopted: the key keeps its secret and its spend",
        )
    ]
