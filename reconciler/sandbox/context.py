"""Per-request data handed from the HTTP layer to endpoint logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .validate import MISSING


@dataclass(frozen=True)
class Caller:
    """Who is calling: the master key (admin) or a virtual key identified by its hash."""

    is_admin: bool
    token: str | None = None
    # The user the key belongs to (users.py), when it is a known user's key.
    user_id: str | None = None
    role: str | None = None


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = MISSING
    caller: Caller = field(default_factory=lambda: Caller(is_admin=True))
    path_params: dict[str, str] = field(default_factory=dict)


Response = tuple[int, Any]
