"""Adoption: taking over a key or model the tool did not create, as a reviewed change. Pure.

Adopting stamps the ownership marker (and the alias on a key that has none) with one
/key/update or PATCH: the secret, the spend and the key's identity stay as they are, so the
agent holding the key keeps working. Only unmarked objects are ever adopted; another scope's
objects and pinned keys (removed from the diff before this runs) never are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.core.changes import AdoptKey, AdoptModel, Change
from reconciler.core.desired import Agent, ModelDeployment
from reconciler.core.holds import hold_entry, is_held
from reconciler.core.live import MARKER_FIELD, LiveKey, LiveModel, marker_for
from reconciler.core.secrets import ENV_REFERENCE, is_secret_name

if TYPE_CHECKING:
    from reconciler.core.plan import PlanInputs

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
    from reconciler.core.diff_keys import field_diff, written_metadata

    before, after = field_diff(agent, live, scope)
    if live.alias is None:
        before["key_alias"], after["key_alias"] = None, agent.name
    before["metadata"], after["metadata"] = live.metadata, written_metadata(agent, live, scope)
    if is_held(live, agent.blocked):
        acc.holds.append(hold_entry(agent.name, live))
    elif agent.blocked != live.blocked:
        before["blocked"], after["blocked"] = live.blocked, agent.blocked
    return [
        AdoptKey(
            target=agent.name,
            before=before,
            after=after,
            key_id=live.token,
            key_name=live.key_name,
            reason="adopted: the key keeps its secret and its spend",
        )
    ]


def adopt_model(model: ModelDeployment, live: LiveModel, scope: str) -> AdoptModel:
    """Stamp the marker and the record in model_info; non-secret fields desired/ declares
    differently are changed in the same PATCH. Secret params are not sent: /model/info hides
    them, so the deployment keeps the value it has until desired/ changes the reference."""
    from reconciler.core.diff_models import model_spec

    ignored = set(model.ignore_fields)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if live.model_name != model.model_name:
        before["model_name"], after["model_name"] = live.model_name, model.model_name
    params = {
        name: value
        for name, value in model.litellm_params.items()
        if f"litellm_params.{name}" not in ignored
        and not _secret(name, value)
        and live.litellm_params.get(name) != value
    }
    info = {
        name: value
        for name, value in model.model_info.items()
        if f"model_info.{name}" not in ignored and live.model_info.get(name) != value
    }
    for section, values, shown in (
        ("litellm_params", params, live.litellm_params),
        ("model_info", info, live.model_info),
    ):
        if values:
            before[section] = {name: shown.get(name) for name in values}
            after[section] = values
    # The stamp itself, so the plan shows what adoption does.
    before.setdefault("model_info", {})[MARKER_FIELD] = None
    after.setdefault("model_info", {})[MARKER_FIELD] = marker_for(scope)
    return AdoptModel(
        target=model.id,
        before=before,
        after=after,
        spec=model_spec(model, scope),
        reason="adopted: secret params keep their live value",
    )


def _secret(name: str, value: Any) -> bool:
    return bool(is_secret_name(name)) or str(value).startswith(ENV_REFERENCE)
