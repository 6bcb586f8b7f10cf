"""`reconciler import`: the live gateway -> desired/ declarations that describe it. Pure.

Every key the tool may manage becomes an agent marked `adopt: true`, every DB deployment a
model marked the same way, so the first plan proposes only adopt changes. Pinned keys, other
scopes' objects and config.yaml deployments are listed, never declared as managed. Secrets are
never written: /model/info hides or masks them, and each becomes an `os.environ/` placeholder
that `validate` refuses until the user names the real variable.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.adopt import hash_name
from reconciler.core.input.desired import Estate
from reconciler.core.input.secrets import ENV_REFERENCE, is_secret_name
from reconciler.core.live import (
    DURATION_FIELD,
    KEY_LIMIT_FIELDS,
    LiveKey,
    LiveModel,
    LiveState,
    marker_for,
)
from reconciler.core.stamps import BOOKKEEPING

PLACEHOLDER = ENV_REFERENCE + "REPLACE_ME_"
# Params the proxy adds to every deployment it shows; nobody declared them.
SERVER_PARAMS = {
    "use_xai_oauth": False,
    "use_litellm_proxy": False,
    "use_in_pass_through": False,
    "allow_client_keepalive_override": False,
    "merge_reasoning_content_in_choices": False,
}
# model_info the proxy fills in itself (bookkeeping and LiteLLM's cost map).
_SERVER_INFO = {
    "id", "db_model", "member_auto_router", "blocked", "access_via_team_ids", "direct_access",
    "pricing_overrides", "key", "mode", "litellm_provider", "supported_openai_params",
    "managed_by", "reconciler", "tpm", "rpm", "output_vector_size", "tiered_pricing",
}  # fmt: skip
_SERVER_INFO_PATTERN = re.compile(r"(cost|^max_.*tokens$|^supports_|pricing|^search_context)")


@dataclass(frozen=True)
class ImportedAgent:
    data: dict[str, Any]
    source: str  # where the name came from: key_alias, metadata.agent or the key's hash
    key_name: str


@dataclass
class ImportResult:
    agents: list[ImportedAgent] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    config_models: list[str] = field(default_factory=list)
    fallbacks: dict[str, list[str]] | None = None
    scope: str | None = None  # written as settings.scope when the tree does not declare one
    listed: list[str] = field(default_factory=list)  # left alone, shown as comments
    notes: list[str] = field(default_factory=list)  # what the user must do next
    placeholders: list[str] = field(default_factory=list)


def import_live(
    live: LiveState,
    existing: Estate,
    *,
    write_scope: bool,
    include: list[str] | None = None,
) -> ImportResult:
    """What desired/ must add to describe `live`; `existing` is the tree already there."""
    result = ImportResult(scope=existing.settings.scope if write_scope else None)
    wanted = _matcher(include)
    pinned = {k.token for k in live.keys if existing.is_pinned(k.token, k.alias)}
    result.listed += [f"pinned key {k.alias or '(no alias)'} {k.key_name}" for k in live.keys
                      if k.token in pinned]  # fmt: skip
    _import_models(live.models, existing, wanted, result)
    _import_keys([k for k in live.keys if k.token not in pinned], existing, wanted, result)
    _import_fallbacks(live, existing, result)
    return result


def _matcher(include: list[str] | None) -> Any:
    return lambda *names: not include or any(
        fnmatch.fnmatchcase(n, pattern) for n in names for pattern in include
    )


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
            if not key.models:
                out.notes.append(f"agent {name}: the key may call every model; list its models")


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
    skip = BOOKKEEPING | {"agent", "owner", DURATION_FIELD}
    metadata = {k: v for k, v in key.metadata.items() if k not in skip}
    if metadata:
        data["metadata"] = metadata
    if key.marker != marker:
        data["adopt"] = True
    return data


def _import_models(
    models: tuple[LiveModel, ...], existing: Estate, wanted: Any, out: ImportResult
) -> None:
    marker = marker_for(existing.settings.scope)
    declared_ids = {m.id for m in existing.models}
    config = sorted({m.model_name for m in models if not m.db_model} - existing.config_models)
    out.config_models = config
    out.listed += [f"config.yaml model {name} (read-only)" for name in config]
    for live in sorted((m for m in models if m.db_model), key=lambda m: m.id):
        if not wanted(live.id, live.model_name) or live.id in declared_ids:
            continue
        if live.marker not in (None, marker):
            out.listed.append(f"model of another scope {live.id} ({live.marker})")
            continue
        out.models.append(_model(live, marker, out))


def _model(live: LiveModel, marker: str, out: ImportResult) -> dict[str, Any]:
    recorded = live.record.get("litellm_params", {})
    params: dict[str, Any] = {}
    for name, value in {**live.litellm_params, **recorded}.items():
        if SERVER_PARAMS.get(name, object()) == value or value is None:
            continue
        params[name] = _param(live, name, value, out)
    if "api_key" not in params:
        # /model/info drops api_key: whether the deployment has one cannot be read back.
        params["api_key"] = _placeholder(live, "api_key", out)
    info = {
        k: v
        for k, v in live.model_info.items()
        if v is not None and k not in _SERVER_INFO and not _SERVER_INFO_PATTERN.search(k)
    }
    data: dict[str, Any] = {"id": live.id, "model_name": live.model_name, "litellm_params": params}
    if info:
        data["model_info"] = info
    if live.marker != marker:
        data["adopt"] = True
    return data


def _param(live: LiveModel, name: str, value: Any, out: ImportResult) -> Any:
    if isinstance(value, str) and value.startswith(ENV_REFERENCE):
        return value
    masked = isinstance(value, str) and "*" * 4 in value
    if masked or (is_secret_name(name) and not isinstance(value, bool)):
        return _placeholder(live, name, out)
    return value


def _placeholder(live: LiveModel, name: str, out: ImportResult) -> str:
    variable = re.sub(r"[^A-Z0-9]+", "_", f"{live.model_name}_{name}".upper()).strip("_")
    reference = PLACEHOLDER + variable
    out.placeholders.append(f"model {live.id}: litellm_params.{name}: {reference}")
    return reference


def _import_fallbacks(live: LiveState, existing: Estate, out: ImportResult) -> None:
    if existing.manages_fallbacks or not live.fallbacks:
        return
    known = existing.model_names() | set(out.config_models) | {m["model_name"] for m in out.models}
    unknown = sorted(g for g, t in live.fallbacks.items() if g not in known or set(t) - known)
    if unknown:
        # Declared fallbacks are owned whole: a partial list would make the next plan delete
        # the rest. Leave them undeclared (never touched) and say why.
        out.notes.append(
            f"fallbacks not imported: group(s) {', '.join(unknown)} name models not imported; "
            "declare fallbacks by hand to manage them"
        )
        return
    out.fallbacks = dict(live.fallbacks)
