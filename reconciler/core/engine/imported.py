"""What `reconciler import` found on the gateway, as desired/ declarations. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    kept_secrets: list[str] = field(default_factory=list)  # secret params kept as they are
    # Keys that may call every model (an admin key?): {alias, key_sha256, key}, never agents.
    pin_candidates: list[dict[str, str]] = field(default_factory=list)
    # Any other kind's declarations, by desired/ section (budgets, users, teams): each is
    # written to imported-SECTION.yaml.
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
