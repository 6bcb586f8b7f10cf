"""The apply lease's rows: what a lease key is, and when a row counts as one. Pure of I/O.

A row counts only when it is well formed: alias, key, generation, holder and expiry as
generation n derives them (lease.py adds the proof that an admin identity wrote it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import socket
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.ownership import is_admin_written
from reconciler.core.input.names import LEASE_PREFIX
from reconciler.core.masking import printable

LEASE_ALIAS = LEASE_PREFIX
LEASE_FIELD = "reconciler_lease"
DEFAULT_TTL = 60.0
DEFAULT_WAIT = 120.0
MAX_TTL = 3600.0  # --lease-ttl's ceiling: a row expiring further out was not written by apply
MAX_GENERATION = 10**10 - 1  # the alias holds ten digits
CLOCK_SKEW = 300.0  # how far apart the clocks of two hosts running apply may be
MAX_SKIPS = 20  # generations whose alias is squatted that one acquire moves past


def is_lease_row(row: dict[str, Any]) -> bool:
    """Shaped like a lease row (whoever wrote it)."""
    metadata = row.get("metadata")
    alias = str(row.get("key_alias") or "")
    return isinstance(metadata, dict) and LEASE_FIELD in metadata and alias.startswith(
        LEASE_ALIAS + "/"
    )


def without_lease_rows(
    rows: list[dict[str, Any]], admins: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """Rows without the apply lease's own keys. With `admins`, only rows an admin identity
    wrote are dropped: a lease-shaped key anyone else made stays visible in plans."""
    return [r for r in rows if not is_lease_row(r)
            or (admins is not None and not is_admin_written(r, admins))]


def lease_raw_key(generation: int) -> str:
    return "sk-reconciler-lease-" + hashlib.sha256(
        f"{LEASE_ALIAS}/{generation}".encode()
    ).hexdigest()[:32]


def lease_token(generation: int) -> str:
    return hashlib.sha256(lease_raw_key(generation).encode()).hexdigest()


@dataclass(frozen=True)
class LeaseRow:
    generation: int
    holder: str
    expires_at: float

    @classmethod
    def parse(cls, row: dict[str, Any]) -> LeaseRow:
        """A well-formed lease row; ValueError (saying what is wrong) otherwise."""
        meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
        generation, holder, expires = (meta.get(f) for f in ("generation", "holder",
                                                              "expires_at"))
        if not isinstance(generation, int) or isinstance(generation, bool) \
                or not 1 <= generation <= MAX_GENERATION:
            raise ValueError(f"generation {printable(repr(generation))[:40]} is not a number "
                             f"from 1 to {MAX_GENERATION}")
        if row.get("key_alias") != f"{LEASE_ALIAS}/{generation:010d}" \
                or row.get("token") != lease_token(generation):
            raise ValueError("its alias or key is not the one generation "
                             f"{generation} derives")
        if not isinstance(holder, str) or not holder or len(holder) > 300:
            raise ValueError("it names no holder")
        if isinstance(expires, bool) or not isinstance(expires, (int, float)) \
                or not math.isfinite(expires):
            raise ValueError("its expiry is not a moment")
        return cls(generation, holder, float(expires))

    def describe(self) -> str:
        text = f"held by {printable(self.holder)} until {utc(self.expires_at)} unless renewed"
        gone = _process_gone(self.holder)
        if gone:
            text += f"; {gone}, so it frees itself then"
        return text


def utc(moment: float) -> str:
    """A full UTC timestamp (a time of day alone says nothing across midnight or zones)."""
    try:
        when = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return f"{moment:.0f} s after 1970 UTC (past the year 9999)"
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _process_gone(holder: str) -> str | None:
    """'its process N on this host is gone' when the holder ran here and has exited."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return f"its process {pid} on this host is gone"
    except OSError:
        return None
    return None
