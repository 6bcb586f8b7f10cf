"""Agents in desired/ vs virtual keys on the gateway -> key changes. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.changes import BlockKey, Change, CreateKey, DeleteKey, UnblockKey, UpdateKey
from reconciler.core.desired import Agent, Estate
from reconciler.core.live import KEY_LIMIT_FIELDS, MARKER_FIELD, LiveKey, marker_for
from reconciler.core.plan import PlanInputs, Untouched

DURATION_FIELD = "key_duration"  # in the key's metadata: the lifetime desired/ declared


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


def key_spec(agent: Agent, scope: str = "default") -> dict[str, Any]:
    """Everything /key/generate is sent for an agent (key_alias included)."""
    return {
        "key_alias": agent.name,
        "models": list(agent.models),
        **{name: _whole(getattr(agent, name)) for name in KEY_LIMIT_FIELDS},
        "metadata": desired_metadata(agent, scope),
        "blocked": agent.blocked,
        **({"duration": agent.duration} if agent.duration else {}),
    }


def diff_keys(estate: Estate, keys: list[LiveKey], acc: PlanInputs) -> list[str]:
    """Add key changes and untouched keys to `acc`; return conflicts that forbid a plan."""
    scope = estate.settings.scope
    mine: dict[str, LiveKey] = {}
    foreign: set[str | None] = set()
    for key in keys:
        if key.marker != marker_for(scope):
            foreign.add(key.alias)
            acc.untouched.append(_untouched(key))
        elif key.alias in mine:
            duplicate = _retire(estate, key, f"duplicate managed key for {key.alias!r}")
            acc.changes.extend([duplicate] if duplicate else [])
        else:
            mine[str(key.alias)] = key
    conflicts = []
    for agent in estate.agents:
        live = mine.pop(agent.name, None)
        if live is None and agent.name in foreign:
            conflicts.append(
                f"agent {agent.name!r}: the alias is taken by a key this scope did not create; "
                "rename the agent or remove that key by hand"
            )
        else:
            acc.changes.extend(_diff_agent(agent, live, scope))
    for live in mine.values():
        change = _retire(estate, live, "agent removed from desired/")
        if change is not None:
            acc.changes.append(change)
    return conflicts


def _untouched(key: LiveKey) -> Untouched:
    if key.marker is None:
        return Untouched("unmanaged_key", key.alias or "(no alias)", key.key_name)
    return Untouched("other_scope_key", key.alias or "(no alias)", f"{key.key_name} ({key.marker})")


def _diff_agent(agent: Agent, live: LiveKey | None, scope: str) -> list[Change]:
    spec = key_spec(agent, scope)
    if live is None:
        return [CreateKey(target=agent.name, after=spec)]
    if live.secret_undelivered:
        return [
            DeleteKey(
                target=agent.name,
                before={"blocked": live.blocked},
                key_id=live.token,
                key_name=live.key_name,
                reason="its secret never reached a sink; the key is replaced",
            ),
            CreateKey(target=agent.name, after=spec),
        ]
    changes: list[Change] = []
    before, after = _field_diff(spec, live)
    if after:
        changes.append(
            UpdateKey(
                target=agent.name,
                before=before,
                after=after,
                key_id=live.token,
                key_name=live.key_name,
            )
        )
    if agent.blocked != live.blocked:
        cls = BlockKey if agent.blocked else UnblockKey
        changes.append(
            cls(
                target=agent.name,
                before={"blocked": live.blocked},
                after={"blocked": agent.blocked},
                key_id=live.token,
                key_name=live.key_name,
            )
        )
    return changes


def _field_diff(spec: dict[str, Any], live: LiveKey) -> tuple[dict[str, Any], dict[str, Any]]:
    current: dict[str, Any] = {
        "models": list(live.models),
        **live.limits,
        "metadata": live.metadata,
    }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, have in current.items():
        want = spec[name]
        same = sorted(have) == sorted(want) if name == "models" else _same(have, want)
        if not same:
            before[name], after[name] = have, want
    had, wants = live.metadata.get(DURATION_FIELD), spec["metadata"].get(DURATION_FIELD)
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


def _retire(estate: Estate, live: LiveKey, reason: str) -> Change | None:
    """Block (default, reversible) or delete a managed key that no agent claims."""
    if estate.settings.removed_agents == "delete":
        return DeleteKey(
            target=str(live.alias),
            before={"blocked": live.blocked},
            key_id=live.token,
            key_name=live.key_name,
            reason=reason,
        )
    if live.blocked:
        return None
    return BlockKey(
        target=str(live.alias),
        before={"blocked": False},
        after={"blocked": True},
        key_id=live.token,
        key_name=live.key_name,
        reason=reason,
    )
