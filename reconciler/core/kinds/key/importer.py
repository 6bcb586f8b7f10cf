"""`reconciler import` for keys: each key the tool may manage becomes an agent with
`adopt: true`; pinned keys and other scopes' keys are only listed. A key that may call every
model (`models: []`) is most likely an admin's own key (Sileya's): declaring it as an agent
would have the next plan adopt and narrow it, so it is a pin candidate instead, written as a
commented `pinned:` entry with its sha256 for a person to confirm. Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.imported import ImportedAgent, ImportResult
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.budget.live import budgets_of
from reconciler.core.kinds.key.adopt import hash_name
from reconciler.core.kinds.key.fields import BOOKKEEPING, DURATION_FIELD, KEY_LIMIT_FIELDS
from reconciler.core.kinds.key.live import LiveKey, keys_of
from reconciler.core.kinds.team.live import teams_of
from reconciler.core.kinds.user.live import users_of


def import_keys(live: LiveState, existing: Estate, wanted: Any, out: ImportResult) -> None:
    keys = keys_of(live)
    pinned = {k.token for k in keys if existing.is_pinned(k.token, k.alias)}
    out.listed += [f"pinned key {k.alias or '(no alias)'} {k.key_name}" for k in keys
                   if k.token in pinned]  # fmt: skip
    _import_keys([k for k in keys if k.token not in pinned], existing, wanted, out)
    _memberships(live, existing, out)


def _memberships(live: LiveState, existing: Estate, out: ImportResult) -> None:
    """An imported key in a team, on a budget or of a user names it (`team:`, `budget:`,
    `user:`) when that object is imported too or already declared: validate then passes."""
    known = {section: {str(e.get(field)) for e in out.sections.get(section, [])}
             for section, field in (("teams", "name"), ("budgets", "name"), ("users", "id"))}
    known["teams"] |= {t.name for t in existing.teams}
    known["budgets"] |= {b.name for b in existing.budgets}
    known["users"] |= {u.id for u in existing.users}
    teams = {t.id: t.alias for t in teams_of(live) if t.alias in known["teams"]}
    budgets = {b.id: b.name for b in budgets_of(live) if b.name in known["budgets"]}
    users = {u.id for u in users_of(live)} & known["users"]
    by_alias = {k.alias: k for k in keys_of(live) if k.alias}
    for agent in out.agents:
        key = by_alias.get(agent.data["name"])
        if key is None:
            continue
        if key.team_id in teams:
            agent.data["team"] = teams[key.team_id]
        if key.budget_id in budgets:
            agent.data["budget"] = budgets[key.budget_id]
            agent.data.pop("soft_budget", None)  # the shared budget's own, not the key's
        if key.user_id in users:
            agent.data["user"] = key.user_id


def _import_keys(keys: list[LiveKey], existing: Estate, wanted: Any, out: ImportResult) -> None:
    marker = marker_for(existing.settings.scope)
    declared = {a.name for a in existing.agents}
    taken = set(declared)
    for key in sorted(keys, key=lambda k: (k.alias is None, k.alias or "", k.token)):
        name, source = _agent_name(key, taken)
        if not wanted(name):
            continue
        if key.marker not in (None, marker):
            out.listed.append(f"key of another scope {name} {key.key_name} ({key.marker})")
        elif not key.models and key.marker is None:
            out.pin_candidates.append({"alias": key.alias or "", "key_sha256": key.token,
                                       "key": key.key_name})
        elif key.rotated is not None:
            out.listed.append(f"rotated-out key {name} {key.key_name} (the tool blocks it)")
        elif name in declared and key.marker == marker:
            continue  # already managed and declared: nothing to import
        elif name in declared:
            out.notes.append(
                f"agent {name} is already declared in desired/; "
                "add `adopt: true` there to adopt its key"
            )
        else:
            taken.add(name)
            out.agents.append(ImportedAgent(_agent(key, name, marker), source, key.key_name))


def _per_model_limits(key: LiveKey) -> dict[str, Any]:
    """Per-model limits the proxy keeps in metadata, declared as the fields they are where
    they name the key's own models (tags and guardrails stay metadata: the fields need a
    licence, the metadata entries did not)."""
    found = {}
    for name in ("model_rpm_limit", "model_tpm_limit"):
        value = key.metadata.get(name)
        if isinstance(value, dict) and value and set(value) <= set(key.models) and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value.values()):
            found[name] = value
    return found


def _agent_name(key: LiveKey, taken: set[str]) -> tuple[str, str]:
    agent = key.metadata.get("agent")
    if key.alias:
        return key.alias, "key_alias"
    if isinstance(agent, str) and agent.strip() and agent not in taken:
        return agent, "metadata.agent"
    return hash_name(key.token), "the key's sha256 (no alias, no metadata.agent)"


def _agent(key: LiveKey, name: str, marker: str) -> dict[str, Any]:
    owner = key.metadata.get("owner")
    data: dict[str, Any] = {
        "name": name,
        "owner": owner if isinstance(owner, str) and owner.strip() else "unknown",
        "models": list(key.models),
    }
    if key.blocked:
        data["blocked"] = True
    data.update({n: key.limits[n] for n in KEY_LIMIT_FIELDS if key.limits.get(n) is not None})
    duration = key.metadata.get(DURATION_FIELD)
    if isinstance(duration, str):
        data["duration"] = duration  # the lifetime the tool recorded, declared again
    if key.rotation:
        data["rotation"] = key.rotation  # declared again, so nothing rotates by surprise
    data.update({n: v for n, v in key.extras.items() if v not in (None, [], {})})
    lifted = _per_model_limits(key)
    data.update(lifted)
    skip = BOOKKEEPING | {"agent", "owner", DURATION_FIELD, *lifted}
    metadata = {k: v for k, v in key.metadata.items() if k not in skip}
    if metadata:
        data["metadata"] = metadata
    if key.marker != marker:
        data["adopt"] = True
    return data
