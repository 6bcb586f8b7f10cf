"""An ImportResult as desired/ YAML files, with the comments a reviewer needs. Pure."""

from __future__ import annotations

import json
from typing import Any

import yaml

from reconciler.core.engine.imported import ImportResult
from reconciler.core.input.desired import NAMED_SECTIONS
from reconciler.core.masking import scrub

AGENTS_FILE = "imported-agents.yaml"
MODELS_FILE = "imported-models.yaml"
GATEWAY_FILE = "imported-gateway.yaml"
# Every other named section (budgets, users, teams) in a file of its own.
SECTION_FILES = {s: f"imported-{s}.yaml" for s in NAMED_SECTIONS if s not in ("agents", "models")}
IMPORTED_FILES = (AGENTS_FILE, MODELS_FILE, GATEWAY_FILE, *SECTION_FILES.values())

_HEADER = "# Written by `reconciler import` from the live gateway. Review, then commit.\n"


MODELINE = "# yaml-language-server: $schema={}\n"


def render_files(result: ImportResult, schema: str = "../schema/desired.schema.json"
                 ) -> dict[str, str]:
    """File name -> text; a file with nothing to declare is left out. Each starts with the
    editor's schema modeline; `schema`: the schema's path relative to the files' folder."""
    files: dict[str, str] = {}
    if result.agents:
        files[AGENTS_FILE] = _agents(result)
    if result.models:
        files[MODELS_FILE] = _models(result)
    for section, entries in result.sections.items():
        if entries:
            files[SECTION_FILES[section]] = _HEADER + _dump({section: entries})
    gateway = _gateway(result)
    if gateway:
        files[GATEWAY_FILE] = gateway
    # Nothing read from the gateway is a raw key, but metadata is free text: make sure.
    return {name: MODELINE.format(schema) + scrub(text) for name, text in files.items()}


def _dump(data: Any, indent: str = "") -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return "".join(indent + line if line.strip() else line for line in text.splitlines(True))


def _agents(result: ImportResult) -> str:
    parts = [
        _HEADER,
        "# `adopt: true` makes the next plan take over each existing key (adopt_key): the\n"
        "# key keeps its secret and spend, so the agent holding it keeps working.\n",
        "agents:\n",
    ]
    for agent in result.agents:
        parts.append(f"  # {agent.key_name}: name from {agent.source}\n")
        parts.append(_dump([agent.data], "  "))
    return "".join(parts)


def _models(result: ImportResult) -> str:
    parts = [_HEADER]
    if result.kept_secrets:
        parts.append(
            "# The gateway never shows secrets: each one is in ignore_fields, kept as the gateway\n"
            "# holds it (never compared or written; a change that would re-create the deployment\n"
            "# is refused, since a new one could not carry it). To manage one from here, declare\n"
            "# it (api_key: os.environ/NAME) and drop its ignore_fields entry.\n"
        )
    parts.append("models:\n")
    parts.extend(_dump([model], "  ") for model in result.models)
    return "".join(parts)


def _gateway(result: ImportResult) -> str:
    data: dict[str, Any] = {}
    if result.scope is not None:
        data["settings"] = {"scope": result.scope}
    if result.config_models:
        data["config_models"] = result.config_models
    if result.fallbacks:
        data["fallbacks"] = result.fallbacks
    if not data and not result.listed and not result.pin_candidates:
        return ""
    parts = [_HEADER, *_pin_candidates(result)]
    if result.listed:
        parts.append("# Left alone (never managed from here):\n")
        parts.extend(f"#   {item}\n" for item in result.listed)
    if result.fallbacks:
        parts.append("# fallbacks: declaring them makes this tree own the gateway's whole list.\n")
    if data:
        parts.append(_dump(data))
    return "".join(parts)


def _pin_candidates(result: ImportResult) -> list[str]:
    """Keys that may call every model, as a commented pinned: list: confirm each, uncomment."""
    if not result.pin_candidates:
        return []
    parts = ["# PIN CANDIDATES: these keys may call every model (models: []), like an admin key.\n"
             "# They are not imported as agents. Declare yours under pinned: (uncomment) before\n"
             "# the first plan, so no plan ever touches them:\n"
             "# pinned:\n"]
    for key in result.pin_candidates:
        alias = f"alias: {json.dumps(key['alias'], ensure_ascii=False)}, " if key["alias"] else ""
        parts.append(f"#   - {{{alias}key_sha256: {key['key_sha256']}}}  # {key['key']}\n")
    return parts


def summary(result: ImportResult, written: list[str]) -> list[str]:
    lines = [
        f"Imported {len(result.agents)} agent(s), {len(result.models)} model(s), "
        f"{len(result.config_models)} config.yaml model name(s), "
        f"{len(result.fallbacks or {})} fallback group(s)"
        + "".join(f", {len(v)} {k[:-1]}(s)" for k, v in result.sections.items() if v)
        + f" into: {', '.join(written) or 'nothing'}"
    ]
    lines += [
        f"  agent {a.data['name']} ({a.key_name}): name from {a.source}" for a in result.agents
    ]
    lines += [f"  left alone: {item}" for item in result.listed]
    lines += [f"  pin candidate (may call every model; not an agent): {k['alias'] or '(no alias)'}"
              f" {k['key']} sha256 {k['key_sha256']}: declare it under pinned: first"
              for k in result.pin_candidates]
    lines += [f"  kept as the gateway holds it: {p}" for p in result.kept_secrets]
    lines += [f"  note: {n}" for n in result.notes]
    lines.append("Then: reconciler validate && reconciler plan (only adopt changes).")
    return lines


# Bumped when a field is removed or changes meaning (schema/outputs/import.schema.json).
FORMAT_VERSION = 1


def summary_data(result: ImportResult, written: list[str]) -> dict[str, Any]:
    """The summary as data for `import --format json`: what was written, what needs a hand."""
    return {
        "format_version": FORMAT_VERSION,
        "written": list(written),
        "agents": [{"name": a.data["name"], "key": a.key_name, "name_from": a.source}
                   for a in result.agents],
        "models": [str(m.get("id", "")) for m in result.models],
        "config_models": list(result.config_models),
        "fallback_groups": sorted(result.fallbacks or {}),
        **{section: [str(e.get(NAMED_SECTIONS[section], "")) for e in entries]
           for section, entries in result.sections.items()},
        "left_alone": list(result.listed),
        "fill_in": [],  # nothing to fill in since secrets are kept (kept_secrets)
        "kept_secrets": list(result.kept_secrets),
        "pin_candidates": [dict(k) for k in result.pin_candidates],
        "notes": list(result.notes),
    }
