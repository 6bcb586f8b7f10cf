"""Agents in desired/ vs virtual keys on the gateway -> key changes. Pure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciler.core.engine.changes import Change, PlanInputs, Untouched, Verb
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.engine.stamps import digest, is_drift
from reconciler.core.input.desired import Agent, Estate
from reconciler.core.kinds.key.adopt import adopt_key, find_adoptable
from reconciler.core.kinds.key.fields import (
    APPLIED_FIELD,
    change,
)
from reconciler.core.kinds.key.holds import absorbs_hold, hold_entry, is_held, tool_block
from reconciler.core.kinds.key.live import LiveKey, keys_of
from reconciler.core.kinds.key.membership import fold
from reconciler.core.kinds.key.metadata import (
    agent_content,
    field_diff,
    key_spec,
    live_content,
    written_metadata,
)
from reconciler.core.kinds.key.pinned import without_pinned
from reconciler.core.kinds.key.rotation import expired_changes, rotate_key, spend_source
from reconciler.core.kinds.key.softbudget import shared_rows


def diff(estate: Estate, live: LiveState, acc: PlanInputs) -> list[str]:
    """The key kind's diff: pinned keys leave it first, then every other key is diffed."""
    keys, conflicts = without_pinned(estate, keys_of(live), acc)
    conflicts += shared_rows(estate, list(keys_of(live)))
    conflicts += diff_keys(estate, keys, acc, live.read_at)
    fold(estate, live, keys, acc)  # team_id / budget_id from the agents' team: and budget:
    return conflicts


def diff_keys(
    estate: Estate, keys: list[LiveKey], acc: PlanInputs, read_at: dt.datetime | None = None
) -> list[str]:
    """Add key changes and untouched keys to `acc`; return conflicts that forbid a plan.
    `read_at`: when the keys were read, to tell which rotated-out keys have expired."""
    scope = estate.settings.scope
    mine: dict[str, LiveKey] = {}
    foreign: list[LiveKey] = []
    rotated_out: list[LiveKey] = []
    for key in keys:
        if key.marker != marker_for(scope):
            foreign.append(key)
        elif key.rotated is not None:
            rotated_out.append(key)
        elif key.alias in mine:
            duplicate = _retire(estate, key, f"duplicate managed key for {key.alias!r}", acc)
            acc.changes.extend([duplicate] if duplicate else [])
        else:
            mine[str(key.alias)] = key
    conflicts: list[str] = []
    adopted: set[str] = set()
    aliases = {k.alias for k in keys}
    for agent in estate.agents:
        live = mine.pop(agent.name, None)
        if live is not None:
            acc.changes.extend(_diff_agent(agent, live, scope, acc, aliases))
            continue
        found, problem = find_adoptable(agent, foreign)
        if problem:
            conflicts.append(problem)
        elif found is not None:
            adopted.add(found.token)
            acc.changes.extend(adopt_key(agent, found, scope, acc))
        else:
            source = spend_source(agent, rotated_out)
            acc.changes.append(change(Verb.CREATE, agent.name, after=key_spec(agent, scope),
                                      spec={"spend_from": source} if source else None))
    expired, orphans = expired_changes(rotated_out, {a.name for a in estate.agents}, read_at, acc)
    acc.changes.extend(expired)
    for live in [*mine.values(), *orphans]:
        retired = _retire(estate, live, "agent removed from desired/", acc)
        if retired is not None:
            acc.changes.append(retired)
    acc.untouched.extend(_untouched(k) for k in foreign if k.token not in adopted)
    return conflicts


def _untouched(key: LiveKey) -> Untouched:
    if key.marker is None:
        return Untouched("unmanaged_key", key.alias or "(no alias)", key.key_name)
    if key.claim:
        return Untouched("claimed_key", key.alias or "(no alias)", f"{key.key_name} ({key.marker})")
    return Untouched("other_scope_key", key.alias or "(no alias)", f"{key.key_name} ({key.marker})")


def _diff_agent(
    agent: Agent, live: LiveKey, scope: str, acc: PlanInputs, aliases: set[str | None]
) -> list[Change]:
    if live.secret_undelivered:
        if agent.protected:
            acc.warnings.append(
                f"protected agent {agent.name!r}: its key's secret never reached a sink; "
                "remove protected: true to let the tool replace it"
            )
            return []
        return [
            change(
                Verb.DELETE, agent.name,
                before={"blocked": live.blocked},
                ref=live.token,
                label=live.key_name,
                reason="its secret never reached a sink; the key is replaced",
            ),
            change(Verb.CREATE, target=agent.name, after=key_spec(agent, scope)),
        ]
    rotation = rotate_key(agent, live, acc, aliases)
    if rotation is not None:
        # The successor gets the whole desired spec; the old key keeps what it has.
        successor = change(
            Verb.CREATE, agent.name, after=key_spec(agent, scope), spec={"spend_from": live.token},
            reason=f"rotation {agent.rotation}: takes over from {live.key_name} and its spend",
        )
        return [rotation, successor]
    if is_held(live, agent.blocked):
        acc.holds.append(hold_entry(agent.name, live))
    want = agent_content(agent, scope)
    have = live_content(live, agent)
    metadata = written_metadata(agent, live, scope, want)
    before, after = field_diff(agent, live, scope, want, have)
    ident = {"ref": live.token, "label": live.key_name}
    changes: list[Change] = []
    flip = _flip(agent, live, metadata, ident)
    if after:
        # Digested only here: most keys have no change, and drift only qualifies a change.
        recorded = (live.applied or {}).get("sha256")
        drift = recorded is not None and is_drift(recorded, digest(have))
        after["metadata"], before["metadata"] = metadata, live.metadata
        changes.append(
            change(Verb.UPDATE, agent.name, before=before, after=after, drift=drift, **ident)
        )
    elif flip is None and _record_stale(agent, live, metadata):
        changes.append(
            change(
                Verb.UPDATE, agent.name,
                before={"metadata": live.metadata},
                after={"metadata": metadata},
                reason=_record_reason(agent, live),
                **ident,
            )
        )
    return changes + ([flip] if flip else [])


def _flip(
    agent: Agent, live: LiveKey, metadata: dict[str, Any], ident: dict[str, Any]
) -> Change | None:
    """Block or unblock when desired/ and the gateway disagree, except a held key."""
    if agent.blocked == live.blocked or is_held(live, agent.blocked):
        return None
    recorded = (live.applied or {}).get("blocked")
    return change(
        Verb.BLOCK if agent.blocked else Verb.UNBLOCK, agent.name,
        before={"blocked": live.blocked},
        after={"blocked": agent.blocked},
        spec={"metadata": metadata},
        drift=recorded is not None and bool(recorded) != live.blocked,
        **ident,
    )


def _record_stale(agent: Agent, live: LiveKey, metadata: dict[str, Any]) -> bool:
    # A key from before records existed is left as is until something else changes on it.
    return absorbs_hold(live, agent.blocked) or (
        live.applied is not None and live.applied != metadata[APPLIED_FIELD]
    )


def _record_reason(agent: Agent, live: LiveKey) -> str:
    if absorbs_hold(live, agent.blocked):
        return "desired/ now declares the block made outside it: the hold becomes desired state"
    return "records what desired/ now declares (nothing else changes)"


def _retire(estate: Estate, live: LiveKey, reason: str, acc: PlanInputs) -> Change | None:
    """Block (default, reversible) or delete a managed key that no agent claims."""
    if (live.applied or {}).get("protected") is True:
        acc.warnings.append(
            f"{live.alias!r} ({live.key_name}) is protected: it stays as it is although "
            f"{reason}; set protected: false and apply before removing it"
        )
        return None
    if estate.settings.removed_agents == "delete":
        return change(Verb.DELETE, str(live.alias), before={"blocked": live.blocked},
                      ref=live.token, label=live.key_name, reason=reason)
    return None if live.blocked else tool_block(live, reason)


__all__ = ["diff", "diff_keys"]
