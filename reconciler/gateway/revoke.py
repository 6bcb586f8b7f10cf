"""Revoking writes made effective on every replica, each one's moment kept for the report.

The write itself goes through the base URL as every write does; the same write then goes to
each replica named (gateway/replicas.py says why). Used by the key writer (apply) and by
`reconciler block`, so both say the same thing about when a revocation is in force.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from reconciler.gateway.replicas import InForce, Replicas, blocked_answer, cache_ttl
from reconciler.gateway.transport import BaseClient


def _any_answer(answer: Any) -> str:
    return "" if isinstance(answer, dict) else "the answer is not a key (is this a LiteLLM proxy?)"


def _team_blocked(answer: Any) -> str:
    team = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(team, dict) and team.get("blocked") is True:
        return ""
    return "the answer is not the blocked team (is this a LiteLLM proxy?)"


class Revoker:
    def __init__(self, client: BaseClient) -> None:
        self.client = client
        self.replicas: Replicas | None = getattr(client, "replicas", None)
        self.in_force: list[InForce] = []
        self._lock = threading.Lock()

    def block(self, address: str, token: str, write: Callable[[], Any]) -> InForce:
        """`write` blocks the key through the base URL; then /key/block on every replica (it
        writes blocked into that replica's cached copy, and answers the blocked row)."""
        started = time.monotonic()
        write()
        return self._confirm(address, started, "/key/block", {"key": token}, blocked_answer)

    def update(self, address: str, token: str, fields: dict[str, Any],
               write: Callable[[], Any]) -> InForce:
        """A narrowing /key/update: the same body to every replica (each evicts its copy)."""
        started = time.monotonic()
        write()
        return self._confirm(address, started, "/key/update", {"key": token, **fields},
                             _any_answer)

    def team_block(self, address: str, team_id: str, fields: dict[str, Any],
                   write: Callable[[], Any]) -> InForce:
        """A team blocked by /team/update (the proxy's /team/block leaves every replica's
        cached team as it was, for up to its cache's lifetime): the same body to every
        replica, each of which then refreshes its cached copy, so the team's keys are
        refused everywhere at once."""
        started = time.monotonic()
        write()
        return self._confirm(address, started, "/team/update", {"team_id": team_id, **fields},
                             _team_blocked, what="this team's keys")

    def _confirm(self, address: str, started: float, path: str, body: dict[str, Any],
                 accept: Callable[[Any], str], what: str = "this key") -> InForce:
        confirmations = (self.replicas.send("POST", path, body, started, accept)
                         if self.replicas is not None else ())
        if confirmations and all(c.ok for c in confirmations):
            ttl, source = 0.0, ""  # not needed: nothing is left to the caches
        else:
            ttl, source = cache_ttl(self.client)
        record = InForce(address, confirmations, ttl, source, what)
        with self._lock:
            self.in_force.append(record)
        return record
