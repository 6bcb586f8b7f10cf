"""What the tool writes on an agent's key, and how a live key's fields compare with it. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.live import whole
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import Agent
from reconciler.core.kinds.key.fields import (
    APPLIED_FIELD,
    BLOCK_STORY_FIELD,
    DURATION_FIELD,
    HOLD_FIELD,
    KEY_LIMIT_FIELDS,
    ROTATION_FIELD,
)
from reconciler.core.kinds.key.holds import absorbs_hold, is_held
from reconciler.core.kinds.key.live import LiveKey
from reconciler.core.kinds.key.schema import (
    KEY_ENTERPRISE_FIELDS,
    KEY_EXTRA_FIELDS,
    KEY_METADATA_FIELDS,
)
from reconciler.core.kinds.key.stamps import key_content, key_record


def desired_metadata(agent: Agent, scope: str) -> dict[str, Any]:
    # The marker and the owner are written last so free-form metadata cannot remove them.
    # The declared key lifetime is kept beside them: the live key shows only `expires`, a
    # moment, so a changed duration is seen here.
    lifetime = {DURATION_FIELD: agent.duration} if agent.duration else {}
    return {
        **agent.metadata,
        **_metadata_fields(agent),
        "agent": agent.name,
        "owner": agent.owner,
        **lifetime,
        MARKER_FIELD: marker_for(scope),
    }


def _metadata_fields(agent: Agent) -> dict[str, Any]:
    """Declared fields the proxy keeps in metadata; a declared null is no entry at all."""
    return {n: getattr(agent, n) for n in KEY_METADATA_FIELDS if getattr(agent, n) is not None}


def _owned_extras(agent: Agent) -> tuple[str, ...]:
    return tuple(n for n in agent.declared(KEY_EXTRA_FIELDS) if n not in agent.ignore_fields)


def agent_extras(agent: Agent, owned: tuple[str, ...] | None = None) -> dict[str, Any]:
    names = _owned_extras(agent) if owned is None else owned
    return {n: _normal(n, getattr(agent, n)) for n in names}


def _normal(name: str, value: Any) -> Any:
    """A declared value as the gateway shows it back: [] / {} for an explicit null."""
    if name == "allowed_routes":
        return sorted(value or [])
    if name == "aliases":
        return dict(value or {})
    return whole(value)


def agent_content(agent: Agent, scope: str) -> dict[str, Any]:
    limits = {name: whole(getattr(agent, name)) for name in KEY_LIMIT_FIELDS}
    return key_content(agent.models, limits, desired_metadata(agent, scope), agent.ignore_fields,
                       agent_extras(agent))


def live_content(live: LiveKey, agent: Agent) -> dict[str, Any]:
    extras = {n: live.extras.get(n) for n in _owned_extras(agent)}
    return key_content(live.models, live.limits, live.metadata, agent.ignore_fields, extras)


def enterprise_fields(agent: Agent, live_metadata: dict[str, Any] | None) -> dict[str, Any]:
    """tags / guardrails to send beside the metadata that holds them, where they change: the
    proxy's own field, so a proxy without a licence refuses them rather than store them."""
    have = live_metadata or {}
    return {n: getattr(agent, n) for n in agent.declared(KEY_ENTERPRISE_FIELDS)
            if getattr(agent, n) is not None and have.get(n) != getattr(agent, n)}


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
        **{name: whole(getattr(agent, name)) for name in KEY_LIMIT_FIELDS},
        **agent_extras(agent, agent.declared(KEY_EXTRA_FIELDS)),
        **enterprise_fields(agent, None),
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
    story = block_story(agent, live)
    if story:
        metadata[BLOCK_STORY_FIELD] = story
    if live.rotation:
        metadata[ROTATION_FIELD] = live.rotation
    return metadata


def block_story(agent: Agent, live: LiveKey) -> dict[str, Any] | None:
    """Why and when the key was blocked, kept once desired/ absorbs the hold: the incident's
    reason and time stay on the key as long as desired/ keeps it blocked."""
    if not agent.blocked:
        return None
    if absorbs_hold(live, agent.blocked) and live.hold:
        return {**live.hold, "absorbed": "desired/ declares blocked: true"}
    story = live.metadata.get(BLOCK_STORY_FIELD)
    return story if isinstance(story, dict) else None


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
    have = live_content(live, agent) if have is None else have
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
        sent = enterprise_fields(agent, live.metadata)
        after.update(sent)
        before.update({n: live.metadata.get(n) for n in sent})
    had, wants = have["metadata"].get(DURATION_FIELD), want["metadata"].get(DURATION_FIELD)
    if had != wants:
        # null makes the key never expire; a duration counts from this apply.
        before["duration"], after["duration"] = had, wants
    return before, after



def _same(have: Any, want: Any) -> bool:
    if isinstance(have, (int, float)) and isinstance(want, (int, float)):
        return float(have) == float(want)
    return bool(have == want)
