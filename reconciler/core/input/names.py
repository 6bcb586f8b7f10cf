"""Names people read and compare: printable, NFC-normalised, unique after normalisation. Pure.

A name with a control character or an ANSI escape rewrites the terminal that prints it; a
zero-width or right-to-left mark makes two different names look the same; `José` typed on
two keyboards (NFC and NFD) is one person, not two agents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

# Control, format (zero-width, bidi), surrogate, private-use, unassigned, line/para separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
TOOL_PREFIX = "reconciler"


def unprintable(text: str) -> str | None:
    """The first character a name may not hold, as U+XXXX, or None."""
    if text.isprintable():  # Python's rule is the same set of categories, in C
        return None
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
            return f"U+{ord(char):04X}"
    return None


def clean_name(value: str) -> str:
    """The NFC form of a printable, non-empty name; ValueError otherwise."""
    bad = unprintable(value)
    if bad:
        raise ValueError(f"holds the invisible or control character {bad}: use printable text")
    value = unicodedata.normalize("NFC", value)
    if not value.strip():
        raise ValueError("must not be empty")
    if unicodedata.category(value[0]).startswith("M"):
        # A mark with nothing to combine with draws onto whatever is printed before it.
        raise ValueError(f"starts with the combining mark U+{ord(value[0]):04X}: "
                         "a name starts with a letter, digit or symbol")
    return value


# The apply lease's keys are aliased LEASE_PREFIX + generation (gateway/lease.py): an agent
# of such a name would hold a generation's alias, and a key the lease would have to skip.
LEASE_PREFIX = "reconciler-lease"


def reserved_alias(name: str) -> str | None:
    """Why an agent may not be called `name` (its key alias), or None."""
    if unicodedata.normalize("NFKC", name).casefold().startswith(LEASE_PREFIX):
        return f"names starting with {LEASE_PREFIX!r} are reserved for the apply lease"
    return None


def clean_keys(mapping: dict[str, Any], _done: dict[int, Any] | None = None) -> dict[str, Any]:
    """`mapping` with every key at any depth a clean name, unique after normalisation."""
    done = {} if _done is None else _done  # aliased subtrees are cleaned once, and stay shared
    if id(mapping) in done:
        return done[id(mapping)]  # type: ignore[no-any-return]
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        try:
            name = clean_name(key)
        except ValueError as exc:
            raise ValueError(f"key {key!r} {exc}") from None
        if name in result:
            raise ValueError(f"key {name!r} appears twice once normalised (NFC)")
        result[name] = _clean(value, done)
    done[id(mapping)] = result
    return result


def _clean(value: Any, done: dict[int, Any]) -> Any:
    if isinstance(value, dict):
        return clean_keys(value, done)
    if isinstance(value, list):
        if id(value) not in done:
            done[id(value)] = [_clean(v, done) for v in value]
        return done[id(value)]
    return value


def reserved_keys(mapping: dict[str, Any], tool_fields: Iterable[str]) -> list[str]:
    """Keys the tool writes itself: `tool_fields` and anything starting with `reconciler`."""
    fields = set(tool_fields)
    return sorted(
        k for k in mapping
        if k in fields or unicodedata.normalize("NFKC", k).lower().startswith(TOOL_PREFIX)
    )


def colliding_keys(keys: Iterable[str]) -> list[str]:
    """Keys that collide once normalised (for mappings pydantic would silently merge)."""
    seen: set[str] = set()
    twice = []
    for key in keys:
        name = unicodedata.normalize("NFC", key) if isinstance(key, str) else key
        if name in seen:
            twice.append(name)
        seen.add(name)
    return twice
