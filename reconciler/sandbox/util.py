"""Small pure helpers shared by the sandbox endpoint modules."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from typing import Any

_DURATION_RE = re.compile(r"^(\d+)(mo|s|m|h|d|w)$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 30 * 86400}
_VALID_RAW_KEY = re.compile(r"^sk-[A-Za-z0-9_-]+$")
_VALID_HASH = re.compile(r"^[a-fA-F0-9]{64}$")


_clock_lock = threading.Lock()
_last_now = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def now() -> dt.datetime:
    """UTC now at millisecond precision (what Postgres/Prisma keep), strictly increasing.

    Strictly increasing so that two keys created back to back never tie on `created_at`:
    a real proxy never answers that fast, and a tie would make /key/list order depend on hashes.
    """
    global _last_now
    t = dt.datetime.now(dt.timezone.utc)
    t = t.replace(microsecond=(t.microsecond // 1000) * 1000)
    with _clock_lock:
        if t <= _last_now:
            t = _last_now + dt.timedelta(milliseconds=1)
        _last_now = t
    return t


def fmt_offset(t: dt.datetime) -> str:
    """`jsonable_encoder` style, used by /key/info and /key/update (always 6 fraction digits)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def to_z(value: Any) -> Any:
    """Pydantic style (`...Z`) from a stored `+00:00` timestamp; other values pass through."""
    if isinstance(value, str) and value.endswith("+00:00"):
        return value[: -len("+00:00")] + "Z"
    return value


def parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def hash_if_needed(value: str) -> str:
    """LiteLLM treats anything not starting with `sk-` as an already-hashed token."""
    return hash_token(value) if value.startswith("sk-") else value


def abbreviate_key(raw: str) -> str:
    return "sk-..." + raw[-4:] if len(raw) >= 16 else "sk-..."


def mask_short(value: str) -> str:
    """Mask used in auth/validation messages: `abcd****wxyz`, or `****` for short values."""
    return value[:4] + "****" + value[-4:] if len(value) > 8 else "****"


def mask_param(value: Any) -> Any:
    """SensitiveDataMasker as observed live: keep 4+4 chars, one star per hidden char."""
    text = str(value)
    if text == "":
        return value
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def expires_from_duration(duration: str, start: dt.datetime) -> dt.datetime:
    """Raise ValueError('Invalid duration format') like LiteLLM for anything unparseable."""
    match = _DURATION_RE.match(duration.strip())
    if not match:
        raise ValueError("Invalid duration format")
    seconds = int(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    return start + dt.timedelta(seconds=seconds)


def is_valid_api_key(value: str) -> bool:
    """`/key/block` and `/key/unblock` format check (LITELLM_ADMIN_API.md §2.5)."""
    if not 3 <= len(value) <= 100:
        return False
    return bool(_VALID_RAW_KEY.match(value) or _VALID_HASH.match(value))


def parse_bool(text: str) -> bool | None:
    """Pydantic's lax bool parsing of query strings; None when it cannot be interpreted."""
    lowered = text.strip().lower()
    if lowered in {"1", "on", "t", "true", "y", "yes"}:
        return True
    if lowered in {"0", "off", "f", "false", "n", "no"}:
        return False
    return None
