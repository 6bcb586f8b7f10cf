"""In-memory gateway state, its seed, and JSON persistence.

Mirrors the real proxy's tables: live keys by token hash, the deleted-key archive, DB models by
id, read-only config.yaml models, and the DB-stored router_settings.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from .keyrows import Row, blank_row
from .modelrows import config_model
from .util import now

# A key shaped like the ones /key/generate makes (the real proxy refuses custom keys under
# 16 characters); desired/gateway.yaml pins its sha256.
SILEYA_KEY = "sk-Qh7vR2mXa9LtK4sWb8NcYe"
LEGACY_ALIAS = "legacy-batch-job"

_PERSISTED = ("keys", "deleted_keys", "db_models", "config_models", "router_settings", "sections",
              "spend_logs", "budgets", "users", "teams")


@dataclass
class State:
    keys: dict[str, Row] = field(default_factory=dict)
    deleted_keys: list[Row] = field(default_factory=list)
    db_models: dict[str, Row] = field(default_factory=dict)
    config_models: list[Row] = field(default_factory=list)
    router_settings: dict[str, Any] = field(default_factory=dict)
    # Other /config/update sections (general_settings, litellm_settings, ...), stored verbatim.
    sections: dict[str, Any] = field(default_factory=dict)
    # One row per LLM request, like LiteLLM_SpendLogs (see spendlogs.py).
    spend_logs: list[Row] = field(default_factory=list)
    # LiteLLM_BudgetTable, LiteLLM_UserTable (internal users and proxy admins) and
    # LiteLLM_TeamTable by id (budgets.py, usertable.py + users.py, teams.py).
    budgets: dict[str, Row] = field(default_factory=dict)
    users: dict[str, Row] = field(default_factory=dict)
    teams: dict[str, Row] = field(default_factory=dict)
    # Keys used on LLM routes whose `last_active` the "batch writer" has not flushed yet.
    pending_active: set[str] = field(default_factory=set, repr=False, compare=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    # Bumped whenever a key is added or removed, so /key/list can keep its default order
    # between pages instead of sorting every key for every page.
    keys_version: int = field(default=0, repr=False, compare=False)
    key_order: tuple[int, list[str]] = field(default=(-1, []), repr=False, compare=False)

    def add_key(self, row: Row) -> None:
        self.keys[row["token"]] = row
        self.keys_version += 1

    def remove_key(self, token: str) -> Row:
        self.keys_version += 1
        return self.keys.pop(token)

    def live_by_alias(self, alias: str) -> list[Row]:
        return [row for row in self.keys.values() if row.get("key_alias") == alias]

    def to_json(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in _PERSISTED}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        return cls(**{name: copy.deepcopy(data.get(name, cls._empty(name))) for name in _PERSISTED})

    @staticmethod
    def _empty(name: str) -> Any:
        return [] if name in {"deleted_keys", "config_models", "spend_logs"} else {}


def seeded_state() -> State:
    """The demo world: a pinned admin-agent key, one unmanaged legacy key, one config model."""
    state = State()
    created = now()
    # Seeded as if set up outside the API, so the 16-char custom-key minimum does not apply.
    sileya = blank_row(SILEYA_KEY, created)
    sileya.update(key_alias="sileya", metadata={"owner": "sileya", "role": "admin-agent"})
    legacy = blank_row("sk-" + secrets.token_urlsafe(16), created)
    legacy.update(key_alias=LEGACY_ALIAS, models=["MiniMax-M2.7"], metadata={"owner": "ops"})
    for row in (sileya, legacy):
        state.add_key(row)
    state.config_models.append(config_model(
        "MiniMax-M2.7",
        {
            "model": "minimax/MiniMax-M2.7",
            "api_key": "os.environ/MINIMAX_API_KEY",
            "api_base": "https://api.minimax.io/v1",
        },
    ))
    return state


def load_state(path: pathlib.Path) -> State:
    return State.from_json(json.loads(path.read_text(encoding="utf-8")))


def save_state(state: State, path: pathlib.Path) -> None:
    """Atomic write (temp file + rename) so a crash never leaves a half-written state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
