"""Agents in desired/ vs virtual keys on the gateway -> key changes. Pure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciler.core.adopt import adopt_key, find_adoptable
from reconciler.core.changes import BlockKey, Change, CreateKey, DeleteKey, UnblockKey, UpdateKey
from reconciler.core.desired import Agent, Estate
from reconciler.core.holds import absorbs_hold, hold_entry, is_held, tool_block
from reconciler.core.live import (
    APPLIED_FIELD,
    DURATION_FIELD,
    HOLD_FIELD,
    KEY_LIMIT_FIELDS,
    MARKER_FIELD,
    ROTATION_FIELD,
    LiveKey,
    marker_for,
)
from reconciler.core.plan import PlanInputs, Untouched
from reconciler.core.rotation import expired_changes, rotate_key, spend_source
from reconciler.core.stamps import digest, is_drift, key_content, key_record, user_metadata


def desired_metadata(agent: Agent, scope: str) -> dict[str, Any]:
    # The marker and the owner are written last so free-form metadata cannot remove them.
    # The declared key lifetime is kept beside them: the live key shows only `expires`, a
    # moment, so a changed duration is seen here.
    lifetime = {DURATION_FIELD: agent.duration} if agent.duration else {}
    return {
        **agent.metadata,
        "agent": agent.name,
        "owner": agent.owner,
        **lifetime,
        MARKER_FIELD: marker_for(scope),
    }


def agent_content(agent: Agent, scope: str) -> dict[str, Any]:
    limits = {name: _whole(getattr(agent, name)) for name in KEY_LIMIT_FIELDS}
    return key_content(agent.models, limits, desired_metadata(agent, scope), agent.ignore_fields)


def live_content(live: LiveKey, ignore: list[str]) -> dict[str, Any]:
    return key_content(live.models, live.limits, live.metadata, ignore)


def key_spec(agent: Agent, scope: str = "default") -> dict[str, Any]:
    """Everything /key/generate is sent for an agent (key_alias included). Ignored fields are
    still sent on creation, as their first value (Terraform's ignore_changes does the same)."""
    record = key_record(
        agent_content(agent, scope), blocked=agent.blocked, protected=agent.protected
    )
    rotation = {ROTATION_FIELD: agent.rotation} if agent.rotation else {}
    return {
        "key_alias": agent.name,
        "models": list(agent.models),
        **{name: _whole(getattr(agent, name)) for name in KEY_LIMIT_FIELDS},
        "metadata": {**desired_metadata(agent, scope), **rotation, APPLIED_FIELD: record},
        "blocked": agent.blocked,
        **({"duration": agent.duration} if agent.duration else {}),
    }


def written_metadata(
    agent: Agent, live: LiveKey, scope: str, want: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole metadata the tool writes on a key it updates (/key/update replaces it):
    desired metadata, values another system owns kept, a live hold kept while it lasts.
    `want` is agent_content(agent, scope) when the caller has it already."""
    held = is_held(live, agent.blocked)
    kept = {k: v for k, v in live.metadata.items() if f"metadata.{k}" in agent.ignore_fields}
    content = agent_content(agent, scope) if want is None else want
    record = key_record(content, blocked=agent.blocked, protected=agent.protected)
    metadata = {**desired_metadata(agent, scope), **kept, APPLIED_FIELD: record}
    if held and live.hold:
        metadata[HOLD_FIELD] = live.hold
    if live.rotation:
        metadata[ROTATION_FIELD] = live.rotation
    return metadata


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
            acc.changes.append(CreateKey(target=agent.name, after=key_spec(agent, scope),
                                         spec={"spend_from": source} if source else None))
    expired, orphans = expired_changes(rotated_out, {a.name for a in estate.agents}, read_at, acc)
    acc.changes.extend(expired)
    for live in [*mine.values(), *orphans]:
        change = _retire(estate, live, "agent removed from desired/", acc)
        if change is not None:
            acc.changes.append(change)
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
            DeleteKey(
                target=agent.name,
                before={"blocked": live.blocked},
                key_id=live.token,
                key_name=live.key_name,
                reason="its secret never reached a sink; the key is replaced",
            ),
            CreateKey(target=agent.name, after=key_spec(agent, scope)),
        ]
    rotation = rotate_key(agent, live, acc, aliases)
    if rotation is not None:
        # The successor gets the whole desired spec; the old key keeps what it has.
        successor = CreateKey(
            target=agent.name, after=key_spec(agent, scope), spec={"spend_from": live.token},
            reason=f"rotation {agent.rotation}: takes over from {live.key_name} and its spend",
        )
        return [rotation, successor]
    if is_held(live, agent.blocked):
        acc.holds.append(hold_entry(agent.name, live))
    want = agent_content(agent, scope)
    have = live_content(live, agent.ignore_fields)
    metadata = written_metadata(agent, live, scope, want)
    before, after = field_diff(agent, live, scope, want, have)
    ident = {"key_id": live.token, "key_name": live.key_name}
    changes: list[Change] = []
    flip = _flip(agent, live, metadata, ident)
    if after:
        # Digested only here: most keys have no change, and drift only qualifies a change.
        recorded = (live.applied or {}).get("sha256")
        drift = recorded is not None and is_drift(recorded, digest(have))
        after["metadata"], before["metadata"] = metadata, live.metadata
        changes.append(
            UpdateKey(target=agent.name, before=before, after=after, drift=drift, **ident)
        )
    elif flip is None and _record_stale(agent, live, metadata):
        changes.append(
            UpdateKey(
                target=agent.name,
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
    cls = BlockKey if agent.blocked else UnblockKey
    return cls(
        target=agent.name,
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


def field_diff(
    agent: Agent,
    live: LiveKey,
    scope: str,
    want: dict[str, Any] | None = None,
    have: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fields desired/ owns (ignored ones left out) that differ; metadata compared without the
    tool's bookkeeping."""
    want = agent_content(agent, scope) if want is None else want
    have = live_content(live, agent.ignore_fields) if have is None else have
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in want.items():
        if name == "metadata":
            continue
        same = sorted(have[name]) == sorted(value) if name == "models" else _same(have[name], value)
        if not same:
            before[name], after[name] = have[name], value
    if have["metadata"] != want["metadata"]:
        before["metadata"], after["metadata"] = live.metadata, want["metadata"]
    had, wants = have["metadata"].get(DURATION_FIELD), want["metadata"].get(DURATION_FIELD)
    if had != wants:
        # null makes the key never expire; a duration counts from this apply.
        before["duration"], after["duration"] = had, wants
    return before, after


def _whole(value: Any) -> Any:
    # YAML `50` arrives as 50.0 through a float field; show and send it as people wrote it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _same(have: Any, want: Any) -> bool:
    if isinstance(have, (int, float)) and isinstance(want, (int, float)):
        return float(have) == float(want)
    return bool(have == want)


def _retire(estate: Estate, live: LiveKey, reason: str, acc: PlanInputs) -> Change | None:
    """Block (default, reversible) or delete a managed key that no agent claims."""
    if (live.applied or {}).get("protected") is True:
        acc.warnings.append(
            f"{live.alias!r} ({live.key_name}) is protected: it stays as it is although "
            f"{reason}; set protected: false and apply before removing it"
        )
        return None
    if estate.settings.removed_agents == "delete":
        return DeleteKey(target=str(live.alias), before={"blocked": live.blocked},
                         key_id=live.token, key_name=live.key_name, reason=reason)
    return None if live.blocked else tool_block(live, reason)


__all__ = ["desired_metadata", "diff_keys", "key_spec", "user_metadata"]
