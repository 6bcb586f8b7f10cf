"""YAML parsing that remembers where every value came from (file and line), with no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Source:
    """One desired/ file's name (as shown in errors) and its text."""

    name: str
    text: str


@dataclass
class Located:
    """Parsed data plus the line of every mapping key and sequence item, by path."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Line of the deepest known prefix of `path` (1 if nothing matches)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALARS = yaml.SafeLoader("")  # only its constructor is used, to type scalars the YAML 1.1 way


def parse(text: str) -> Located:
    """Parse one YAML document; raise YamlProblem with a line number on any error."""
    located = Located(data=None, lines={(): 1})
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            located.data = _build(node, (), located.lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"invalid YAML: {exc}") from None
    return located


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, lines)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines) for i, item in enumerate(node.value)]
    try:
        return _SCALARS.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. a timestamp like 2024-13-45
        raise YamlProblem(node.start_mark.line + 1, f"invalid value: {exc}") from None


def _build_mapping(node: yaml.MappingNode, path: Path_, lines: dict[Path_, int]) -> dict[Any, Any]:
    own = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
    # `<<: *anchor` merge keys, resolved the way yaml.safe_load does.
    _SCALARS.flatten_mapping(node)
    result: dict[Any, Any] = {}
    merged: set[Any] = set()
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlProblem(key_node.start_mark.line + 1, "mapping keys must be plain values")
        key = _SCALARS.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in result and key not in merged:
            # PyYAML silently keeps the last duplicate; in a reviewed file that hides mistakes.
            raise YamlProblem(line, f"key {key!r} appears twice in the same mapping")
        if id(key_node) not in own:
            merged.add(key)
        else:
            merged.discard(key)
        lines[(*path, key)] = line
        result[key] = _build(value_node, (*path, key), lines)
    return result
