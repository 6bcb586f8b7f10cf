"""Did-you-mean for unknown fields of desired/ files: the closest field allowed where the
typo stands, read from the published schema (so it follows every kind's model). Pure."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from typing import Any


@functools.cache
def _schema() -> dict[str, Any]:
    from reconciler.core.input.desired import json_schema

    return json_schema()


def _resolve(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A schema node with its $ref followed and anyOf / allOf branches spread."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolve(_schema().get("$defs", {}).get(name, {}))
    branches = [*node.get("anyOf", []), *node.get("allOf", [])]
    if branches:
        return [n for b in branches for n in _resolve(b)]
    return [node]


def fields_at(path: Sequence[Any]) -> set[str]:
    """The field names allowed in the mapping at `path` (a loader path, list indexes as int)."""
    nodes = _resolve(_schema())
    for part in path:
        step: list[dict[str, Any]] = []
        for node in nodes:
            if isinstance(part, int) and isinstance(node.get("items"), dict):
                step += _resolve(node["items"])
            elif isinstance(part, str) and part in node.get("properties", {}):
                step += _resolve(node["properties"][part])
            elif isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
                step += _resolve(node["additionalProperties"])
        nodes = step
    return {name for node in nodes for name in node.get("properties", {})}


def did_you_mean(word: str, choices: set[str] | Sequence[str]) -> str:
    """' (did you mean 'models'?)' for a close match, else ''."""
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
