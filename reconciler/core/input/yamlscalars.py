"""YAML scalars -> JSON-safe Python values, or a reason they cannot be one. Pure.

desired/ values end up in JSON request bodies, so only what JSON can carry is accepted: text,
64-bit integers, finite floats, true/false and null. Forms that YAML 1.1 (PyYAML) and YAML
1.2 (most editors and linters) read differently are refused with a hint rather than guessed.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import yaml

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
MERGE, MAP, SEQ = f"{_TAG}merge", f"{_TAG}map", f"{_TAG}seq"
# The largest integer the proxy stores: its limits are PostgreSQL BIGINT columns (measured on
# LiteLLM 1.108.7: rpm_limit 2**63-1 is stored, 2**63 answers 500).
MAX_INT = 2**63 - 1

_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_YAML12_BOOLS = {"true", "false"}


class ScalarProblem(ValueError):
    """A scalar desired/ cannot hold; the message says what to write instead."""


# Plain forms YAML 1.2 reads as numbers but YAML 1.1 (PyYAML) as text, e.g. 1e30, 0o17.
_YAML12_NUMBER = re.compile(
    r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^0o[0-7]+$|^[-+]?\.(inf|Inf|INF)$"
)


def resolve_tag(event: yaml.ScalarEvent) -> str:
    """The tag PyYAML would give this scalar (quoted -> str, or by its plain form). An
    explicit tag other than !!str is refused: `!!int "50"` or `!!null x` would turn text into
    another type behind the strict types, and `%TAG` can make `!!` mean anything."""
    if event.tag not in (None, "!"):
        if event.tag not in (INT, FLOAT, BOOL, NULL):
            return str(event.tag)  # !!str is text; any other tag scalar_value refuses
        shown = str(event.tag).replace(_TAG, "!!")
        raise ScalarProblem(
            f"the explicit tag {shown[:60]} is not allowed: write the value plainly "
            "(50 for a number, \"50\" for text, null, true/false)"
        )
    value = event.value
    if event.style or (value and value[0] not in _IMPLICIT_FIRST):
        # Quoted and block scalars are text; so is a plain one no implicit type can start
        # with (what Resolver.resolve concludes too, without its lookups or the cache).
        return STR
    return plain_tag(value)


_IMPLICIT_FIRST = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)


@functools.lru_cache(maxsize=4096)  # the same owners, limits and durations recur thousands of times
def plain_tag(value: str) -> str:
    if value[:1] not in _RESOLVER.yaml_implicit_resolvers and value:
        return STR
    tag = str(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)))
    if tag == STR and _YAML12_NUMBER.match(value):
        raise ScalarProblem(
            f"{value[:40]!r} is ambiguous (text in YAML 1.1, a number in YAML 1.2): "
            "write it with a dot and a signed exponent (1.0e+30) or quote it for text"
        )
    return tag


def check_collection_tag(tag: str | None, is_map: bool) -> None:
    """Only a collection's own tag: `!!map [a, b]` is no mapping, whatever PyYAML builds."""
    if tag not in (None, "!", MAP if is_map else SEQ):
        raise ScalarProblem(
            f"the tag {tag.replace(_TAG, '!!')} is not allowed: desired/ holds text, numbers, "
            "true/false, null, lists and mappings only"
        )


def scalar_value(tag: str, raw: str) -> Any:
    """The JSON-safe value of one scalar; raise ScalarProblem for anything else."""
    if tag == STR:
        return raw
    if tag == NULL:
        return None
    if tag == BOOL:
        return _bool(raw)
    if tag == INT:
        return _int(raw)
    if tag == FLOAT:
        return _float(raw)
    if tag.endswith("timestamp"):
        raise ScalarProblem(f"{raw!r} is read as a date, which JSON cannot carry: quote it")
    raise ScalarProblem(
        f"the tag {tag.replace(_TAG, '!!')} is not allowed: desired/ holds text, numbers, "
        "true/false, null, lists and mappings only"
    )


def _bool(raw: str) -> bool:
    if raw.lower() not in _YAML12_BOOLS:
        raise ScalarProblem(
            f"{raw!r} is ambiguous (a boolean in YAML 1.1, text in YAML 1.2): "
            "write true or false, or quote it for text"
        )
    return raw.lower() == "true"


_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")


def _int(raw: str) -> int:
    if _DECIMAL.fullmatch(raw) and len(raw) < 19:
        return int(raw)  # the common case, well inside 64 bits: what construct_yaml_int gives
    digits = raw.lstrip("+-").replace("_", "")
    octal = len(digits) > 1 and digits[0] == "0" and digits[1] not in "xbo"
    if "_" in raw or digits.startswith("0b"):
        # 1_000 and 0b101 are numbers in YAML 1.1 only; YAML 1.2 reads them as text.
        raise ScalarProblem(f"{raw[:40]!r} is ambiguous between YAML versions: write it in "
                            "decimal without '_', or quote it for text")
    if ":" in raw or octal:
        # 1:30 is 90 and 0755 is 493 in YAML 1.1, but text / 755 elsewhere.
        raise ScalarProblem(f"{raw!r} is ambiguous between YAML versions: quote it for text")
    try:
        value = int(_CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(INT, raw)))
    except ValueError as exc:  # e.g. more digits than Python converts
        raise ScalarProblem(f"{raw[:40]!r} is not a usable number: {exc}") from None
    if abs(value) > MAX_INT:
        raise ScalarProblem(f"{raw[:40]!r} does not fit in 64 bits (at most {MAX_INT})")
    return value


def _float(raw: str) -> float:
    if "_" in raw:
        raise ScalarProblem(f"{raw[:40]!r} is ambiguous between YAML versions: write it "
                            "without '_', or quote it for text")
    if ":" in raw:
        raise ScalarProblem(f"{raw!r} is ambiguous between YAML versions: quote it for text")
    value = float(_CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(FLOAT, raw)))
    if not math.isfinite(value):
        raise ScalarProblem(f"{raw[:40]!r} is not a finite number, which JSON cannot carry")
    return value
