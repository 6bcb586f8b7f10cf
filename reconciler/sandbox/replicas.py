"""Several replicas of one sandbox gateway, with the real proxy's lags between them.

Measured on LiteLLM 1.108.7 with two replicas on one database (shared real-gateway README):
each replica keeps the key objects it authenticated for `user_api_key_cache_ttl` (60 s), and
a key write evicts them only on the replica that handled it; with Redis, blocks and updates
are broadcast to every replica (~0.3 s), deletes are not. Each replica's router (what
/model/info and the LLM routes see) is reloaded by the replica that handled a model write at
once, by the others at their next reload (30 s), or ~2-6 s after it with Redis. The state
(the "database") is shared; only these two caches are per replica.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from .state import Row, State
from .util import hash_if_needed

KEY_CACHE_TTL = 60.0
MODEL_RELOAD = 30.0
REDIS_MODEL_DELAY = 2.0  # LiteLLM debounces a broadcast reload: 1 s + up to 5 s of jitter
_KEY_WRITES = ("/key/update", "/key/block", "/key/unblock", "/key/delete")
_BROADCAST = ("/key/update", "/key/block", "/key/unblock")  # /key/delete is not broadcast
# A write that reloads the handling replica's router from the database at once; /config/update
# even with an empty body (it writes nothing, then reloads models and config).
_MODEL_WRITES = ("/model/new", "/model/update", "/model/delete", "/config/update")


class _Overlay(Mapping[str, Row]):
    """The database's keys with this replica's cached copy of one of them in front."""

    def __init__(self, base: dict[str, Row], token: str, row: Row | None) -> None:
        self.base, self.token, self.row = base, token, row

    def __getitem__(self, token: str) -> Row:
        if token == self.token:
            if self.row is None:
                raise KeyError(token)
            return self.row
        return self.base[token]

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


class ReplicaCache:
    def __init__(self, key_ttl: float, model_reload: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.key_ttl, self.model_reload, self.clock = key_ttl, model_reload, clock
        self._keys: dict[str, tuple[float, Row]] = {}
        self._models: dict[str, Row] | None = None
        self._next_reload = 0.0
        self._lock = threading.Lock()

    def auth_state(self, state: State, raw: str | None) -> State:
        """The state authentication sees on this replica: its cached copy of the key."""
        if not raw or not raw.startswith("sk-"):
            return state
        token = hash_if_needed(raw)
        now = self.clock()
        with self._lock:
            hit = self._keys.get(token)
            if hit is None or now - hit[0] >= self.key_ttl:
                row = state.keys.get(token)
                if row is None:  # a key that is not found is not cached
                    self._keys.pop(token, None)
                    return state
                hit = (now, copy.deepcopy(row))
                self._keys[token] = hit
        return replace(state, keys=_Overlay(state.keys, token, hit[1]))  # type: ignore[arg-type]

    def model_state(self, state: State) -> State:
        """The state this replica's router serves from: its last load of the deployments."""
        now = self.clock()
        with self._lock:
            if self._models is None or now >= self._next_reload:
                self._models = copy.deepcopy(state.db_models)
                self._next_reload = now + self.model_reload
            return replace(state, db_models=self._models)

    def evict(self, tokens: list[str]) -> None:
        with self._lock:
            for token in tokens:
                self._keys.pop(token, None)

    def reload_in(self, seconds: float) -> None:
        with self._lock:
            self._next_reload = min(self._next_reload, self.clock() + seconds)


class Fleet:
    """The replicas' caches, and what a successful write on one of them does to each."""

    def __init__(self, count: int, *, redis: bool, key_ttl: float = KEY_CACHE_TTL,
                 model_reload: float = MODEL_RELOAD) -> None:
        self.redis = redis
        self.caches = [ReplicaCache(key_ttl, model_reload) for _ in range(count)]

    def after_write(self, index: int, path: str, body: Any) -> None:
        if path in _KEY_WRITES:
            tokens = _tokens(body)
            reach = (self.caches if self.redis and path in _BROADCAST
                     else [self.caches[index]])
            for cache in reach:
                cache.evict(tokens)
        elif path in _MODEL_WRITES or (path.startswith("/model/") and path.endswith("/update")):
            for number, cache in enumerate(self.caches):
                if number == index:
                    cache.reload_in(0.0)
                elif self.redis:
                    cache.reload_in(REDIS_MODEL_DELAY)


def _tokens(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    found = body.get("keys") if isinstance(body.get("keys"), list) else [body.get("key")]
    return [hash_if_needed(str(t)) for t in found if isinstance(t, str) and t]
