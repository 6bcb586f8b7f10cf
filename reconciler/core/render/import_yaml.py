"""An ImportResult as desired/ YAML files, with the comments a reviewer needs. Pure."""

from __future__ import annotations

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


def render_files(result: ImportResult) -> dict[str, str]:
    """File name -> text; a file with nothing to declare is left out."""
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
    return {name: scrub(text) for name, text in files.items()}


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
    if result.placeholders:
        parts.append(
            "# FILL IN: the gateway never shows secrets. Replace every os.environ/REPLACE_ME_...\n"
            "# reference with the environment variable the gateway reads that secret from\n"
            "# (delete an api_key line if the deployment has none). `reconciler validate`\n"
            "# fails until you do. Adopting never rewrites a deployment's secret.\n"
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
    if not data and not result.listed:
        return ""
    parts = [_HEADER]
    if result.listed:
        parts.append("# Left alone (never managed from here):\n")
        parts.extend(f"#   {item}\n" for item in result.listed)
    if result.fallbacks:
        parts.append("# fallbacks: declaring them makes this tree own the gateway's whole list.\n")
    if data:
        parts.append(_dump(data))
    return "".join(parts)


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
    lines += [f"  fill in: {p}" for p in result.placeholders]
    lines += [f"  note: {n}" for n in result.notes]
    if result.placeholders:
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
        "fill_in": list(result.placeholders),
        "notes": list(result.notes),
    }
