"""One writer per gateway: a lease kept in the gateway itself, as a blocked virtual key.

LiteLLM enforces exactly one thing atomically that fits: a key's token (the sha256 of its raw
value) is the primary key of its table, and /key/generate with a custom `key` is an upsert that
never overwrites (`update={}`). So the lease of generation n is the key whose raw value is
derived from n alone: every contender for generation n creates the SAME key, the database keeps
the first, and /key/info on that token names the one holder. (The alias check is not atomic;
it only makes some losers see a 400 instead of a silent 200.)

- acquire: read the lease rows; if the newest is live and held by someone else, wait (up to
  `wait` seconds) or fail; else create generation newest+1 and read back who holds it. The
  holder must also still be the newest generation, so a contender that read stale rows loses.
  Older generations are deleted on release; the newest row is never deleted (released
  instead), so generations only grow.
- hold: a heartbeat thread pushes `expires_at` forward every ttl/4. `check()` (before every
  change) fails once the last confirmed renewal is older than 3/4 ttl: past that point another
  apply may rightly take over, e.g. after this process was stopped (SIGSTOP) or lost the network.
- die: kill -9 leaves the row; it expires after ttl and the next apply takes over.
- release: `expires_at` set to now, so the next apply need not wait.
- squatting: an internal user can create a key of any alias and metadata, and the derived raw
  values are public. So a lease row counts only when the proxy records an admin identity as
  its writer (created_by / updated_by) and its alias, token, generation, holder and expiry are
  well formed, the expiry within its own TTL; any other row is ignored with a warning naming
  it. A generation whose alias or token someone else holds is skipped.

The lease key is blocked, allowed no real model and has a budget of 0, so knowing its derived
raw value grants nothing. Plans never show it: `without_lease_rows` drops it from live state.
`expires_at` is wall-clock time, so hosts running apply need roughly synchronised clocks.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.core.engine.ownership import is_admin_written
from reconciler.core.errors import GatewayError, GatewayHTTPError, LeaseError
from reconciler.core.masking import printable
from reconciler.gateway.lease_rows import (  # re-exported: callers import them from here
    CLOCK_SKEW,
    DEFAULT_TTL,
    DEFAULT_WAIT,
    LEASE_ALIAS,
    LEASE_FIELD,
    MAX_SKIPS,
    MAX_TTL,
    LeaseRow,
    is_lease_row,
    lease_raw_key,
    lease_token,
    utc,
    without_lease_rows,
)

if TYPE_CHECKING:
    from reconciler.gateway.client import GatewayClient

__all__ = ["DEFAULT_TTL", "DEFAULT_WAIT", "LEASE_FIELD", "MAX_TTL", "Lease", "LeaseRow",
           "is_lease_row", "lease_raw_key", "lease_token", "without_lease_rows"]

# What _create answers for a generation it must skip (compared by identity).
_SQUATTED = LeaseRow(0, "(squatted)", 0.0)


class Lease:
    def __init__(
        self,
        client: GatewayClient,
        *,
        ttl: float = DEFAULT_TTL,
        wait: float = DEFAULT_WAIT,
        on_wait: Callable[[str], None] = lambda _: None,
        on_warn: Callable[[str], None] = lambda _: None,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.ttl, self.wait, self.on_wait = client, ttl, wait, on_wait
        self.on_warn = on_warn
        self._admins: frozenset[str] | None = None
        self._warned: set[str] = set()  # tokens of ignored rows already named
        self.wall, self.mono, self.sleep = wall, mono, sleep
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.generation = 0
        self.lost = False
        self._confirmed = 0.0
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._older: list[int] = []  # generations this holder deletes when it releases

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- taking it ---------------------------------------------------------------------------
    def acquire(self) -> None:
        deadline = self.mono() + self.wait
        told = False
        while True:
            busy = self._try_acquire()
            if busy is None:
                break
            if self.mono() >= deadline:
                raise LeaseError(
                    f"another apply is writing to this gateway ({busy.describe()}); "
                    "run again when it is done"
                )
            if not told:
                self.on_wait(f"Waiting for another apply to finish ({busy.describe()})...")
                told = True
            self.sleep(min(1.0, max(0.0, deadline - self.mono())))
        self._heartbeat = threading.Thread(target=self._beat, daemon=True, name="lease")
        self._heartbeat.start()

    def _try_acquire(self) -> LeaseRow | None:
        """None once held; else the row that stands in the way."""
        rows = self._rows()
        top = max(rows, key=lambda r: r.generation, default=None)
        if top is not None and top.expires_at > self.wall() and top.holder != self.holder:
            return top
        generation = top.generation + 1 if top else 1
        for _ in range(MAX_SKIPS):
            winner = self._create(generation)
            if winner is not _SQUATTED:
                break
            generation += 1  # its alias or derived key is someone else's: the next one
        else:
            raise LeaseError(
                f"the apply lease's next {MAX_SKIPS} generations (up to "
                f"{LEASE_ALIAS}/{generation:010d}) are held by keys that are not lease rows; "
                "delete those keys by hand")
        if winner is None or winner.holder != self.holder:
            return winner or LeaseRow(generation, "another apply", self.wall() + self.ttl)
        newer = [r for r in self._rows() if r.generation > generation]
        if newer:
            return newer[0]
        self.generation, self._confirmed = generation, self.mono()
        # Deleted on release, beside the release write: not between taking the lease and
        # reading the gateway (every apply waits for that), nor while the key list is read.
        self._older = [old.generation for old in rows if old.generation < generation]
        return None

    def _create(self, generation: int) -> LeaseRow | None:
        """Create generation n; its holder as the gateway records it (None: unreadable),
        or _SQUATTED when its alias or its key is held by a key no admin wrote as a lease."""
        try:
            self.client.generate_key(self._body(generation))
        except GatewayHTTPError as exc:
            if exc.status != 400:  # 400: a contender's create of this generation came first
                raise
        row = self.client.key_by_token(lease_token(generation))
        if row is None:
            alias = f"{LEASE_ALIAS}/{generation:010d}"
            taken = self.client.find_keys_by_alias(alias)
            return _SQUATTED if any(not self._valid(r) for r in taken) else None
        if not self._valid(row):
            return _SQUATTED
        return LeaseRow.parse(row)

    def _valid(self, row: dict[str, Any]) -> bool:
        try:
            self._vet(row)
        except ValueError:
            return False
        return True

    def _body(self, generation: int) -> dict[str, Any]:
        return {
            "key": lease_raw_key(generation),
            "key_alias": f"{LEASE_ALIAS}/{generation:010d}",
            "blocked": True,
            "models": ["reconciler-lease-no-model"],
            "max_budget": 0,
            "metadata": self._metadata(generation, self.wall() + self.ttl),
        }

    def _metadata(self, generation: int, expires_at: float) -> dict[str, Any]:
        return {LEASE_FIELD: "apply", "generation": generation, "holder": self.holder,
                "expires_at": expires_at, "ttl": self.ttl}

    def _rows(self) -> list[LeaseRow]:
        found = self.client.find_keys_by_alias(LEASE_ALIAS + "/", substring=True)
        rows = []
        for row in found:
            try:
                rows.append(self._vet(row))
            except ValueError as exc:
                self._warn(row, str(exc))
        return rows

    def _vet(self, row: dict[str, Any]) -> LeaseRow:
        """The row as a lease row, or ValueError saying why it is not trusted as one."""
        if self._admins is None:
            self._admins = self.client.admin_identities()
        if not is_admin_written(row, self._admins):
            who = row.get("created_by")
            raise ValueError(f"it was written by {printable(repr(who))[:60]}, not an admin")
        lease = LeaseRow.parse(row)
        meta = row.get("metadata") or {}
        ttl = meta.get("ttl")
        ttl = ttl if isinstance(ttl, (int, float)) and 0 < ttl <= MAX_TTL else MAX_TTL
        if lease.expires_at - self.wall() > ttl + CLOCK_SKEW:
            raise ValueError(f"it expires at {utc(lease.expires_at)}, beyond its "
                             f"TTL of {ttl:g} s")
        return lease

    def _warn(self, row: dict[str, Any], why: str) -> None:
        token = str(row.get("token"))
        if token in self._warned:
            return
        self._warned.add(token)
        alias = printable(str(row.get("key_alias")))[:80]
        self.on_warn(f"ignored the key {alias!r} ({printable(str(row.get('key_name')))}) "
                     f"as an apply lease: {why}")

    def _forget(self, generation: int) -> None:
        # An old generation left behind is harmless: only the newest counts.
        with contextlib.suppress(GatewayError):
            self.client.delete_key(lease_token(generation))

    # -- holding it --------------------------------------------------------------------------
    def check(self) -> None:
        """Raise LeaseError when this apply may no longer be the only writer."""
        if self.lost:
            raise LeaseError("another apply took over this gateway's lease; stopped")
        if self.generation and self.mono() - self._confirmed > self.ttl * 0.75:
            raise LeaseError(
                "the lease on the gateway could not be renewed in time (was this process "
                "paused, or the gateway unreachable?); stopped so that two applies never write"
            )

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            self.renew()

    def renew(self) -> None:
        try:
            if any(r.generation > self.generation for r in self._rows()):
                self.lost = True
                return
            self._write(self.wall() + self.ttl)
            self._confirmed = self.mono()
        except GatewayError:
            pass  # check() notices once renewals have failed for too long

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        forgotten = [self.client.pool.submit(lambda g=g: self._forget(g)) for g in self._older]
        if self.generation and not self.lost:
            with contextlib.suppress(GatewayError):  # else it expires by itself after ttl
                self._write(self.wall())
        for future in forgotten:
            future.result()
        self.generation, self._older = 0, []

    def _write(self, expires_at: float) -> None:
        self.client.update_key(
            lease_token(self.generation),
            {"metadata": self._metadata(self.generation, expires_at)},
        )
