"""YAML parsing that remembers where every value came from (file and line), with no I/O.

Values are built straight from the parser's event stream (libyaml's C parser where PyYAML has
it, else the pure-Python one), without recursion and within limits, so a hostile file (deep
nesting, an alias bomb, a huge file) ends in one located problem instead of a MemoryError,
a RecursionError or minutes of CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.core.input import yamlscalars as sc

Path_ = tuple[str | int, ...]

# Far above any real desired/ tree (10,000 agents in one file is about 2 MB, 220,000 values,
# depth 6), far below what would exhaust memory or time.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_VALUES = 1_000_000

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
    aliases: int = 0  # how many aliases the document used (0: no value is shared)

    def line_of(self, path: Path_) -> int:
        """Line of the deepest known prefix of `path` (1 if nothing matches)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


class YamlProblem(Exception):
    """A file that is not valid desired/ YAML; `path` is where in the document, if known."""

    def __init__(self, line: int, message: str, path: Path_ | None = None) -> None:
        # One printable line whatever the parser said: it goes straight to a terminal.
        message = " ".join(message.split())
        message = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in message)
        super().__init__(message)
        self.line = line
        self.message = message
        self.path = path


_MERGE_KEY = object()  # the pending key of a `<<:` entry


class _Frame:
    """A mapping or sequence being built (slots: one is made per collection of every file)."""

    __slots__ = ("anchor", "is_map", "key", "key_line", "merges", "path", "size", "value")

    def __init__(self, path: Path_, is_map: bool, anchor: str | None) -> None:
        self.path = path
        self.value: dict[str, Any] | list[Any] = {} if is_map else []
        self.is_map = is_map
        self.anchor = anchor
        self.size = 1
        self.key: Any = None  # pending mapping key (str or _MERGE_KEY); None: a key comes next
        self.key_line = 0
        self.merges: list[tuple[int, Any]] = []


# The C parser alone: CSafeLoader would also build a constructor and a resolver per file,
# which the builder below never uses.
_PARSER: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or yaml.SafeLoader


def parse(text: str) -> Located:
    """Parse one YAML document; raise YamlProblem with a line number on any error."""
    if len(text) > MAX_FILE_BYTES:
        raise YamlProblem(1, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
    parser = _PARSER(text)
    try:
        return _Builder().run(parser.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        raise YamlProblem(line, f"invalid YAML: the character U+{char:04X} is not allowed") \
            from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"invalid YAML: {str(exc).splitlines()[0]}") from None
    finally:
        parser.dispose()


_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_STARTS = {yaml.MappingStartEvent: True, yaml.SequenceStartEvent: False}
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_STR = sc.STR


class _Builder:
    def __init__(self) -> None:
        self.located = Located(data=None, lines={(): 1})
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.aliases = 0
        self.values = 0
        self.documents = 0

    def run(self, get_event: Any) -> Located:
        stack = self.stack
        while True:
            event = get_event()
            kind = type(event)
            if kind is _SCALAR:
                if stack and not event.anchor:
                    self._plain(stack[-1], event, event.start_mark.line + 1)
                else:
                    self._scalar(event, event.start_mark.line + 1)
            elif kind in _STARTS:
                self._start(event, event.start_mark.line + 1, _STARTS[kind])
            elif kind in _ENDS:
                self._end(event.start_mark.line + 1)
            elif kind is _ALIAS:
                self._alias(event, event.start_mark.line + 1)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise YamlProblem(event.start_mark.line + 1,
                                      "one YAML document per file (found a second ---)")
            elif event is None or kind is yaml.StreamEndEvent:
                self.located.aliases = self.aliases
                return self.located

    def _plain(self, parent: _Frame, event: yaml.ScalarEvent, line: int) -> None:
        """The hot path of every load (nine events in ten): a text key, or a scalar value in
        a list or under a key. Anything unusual goes the general way (_scalar, _key)."""
        key, raw = parent.key, event.value
        if parent.is_map and key is None:
            try:
                text = sc.resolve_tag(event) == _STR
            except sc.ScalarProblem:
                text = False
            if not text or raw in parent.value:
                self._key(parent, event, line)
                return
            parent.key, parent.key_line = raw, line
            self.located.lines[(*parent.path, raw)] = line
            return
        if key is _MERGE_KEY:
            self._scalar(event, line)
            return
        if key is None:
            path = (*parent.path, len(parent.value))
            self.located.lines.setdefault(path, line)
        try:
            tag = sc.resolve_tag(event)
            value = raw if tag == _STR else sc.scalar_value(tag, raw)
        except sc.ScalarProblem as exc:
            raise YamlProblem(line, str(exc), self._child_path(line)) from None
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlProblem(line, f"more than {MAX_VALUES} values (aliases included)")
        parent.size += 1
        if key is None:
            parent.value.append(value)  # type: ignore[union-attr]
        else:
            parent.value[key] = value  # type: ignore[call-overload]
            parent.key = None

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.key is None and parent.is_map:
            self._key(parent, event, line)
            if event.anchor:
                self.anchors[event.anchor] = (event.value, 1)
            return
        if parent is not None and not parent.is_map:
            self.located.lines.setdefault((*parent.path, len(parent.value)), line)
        try:
            value = sc.scalar_value(sc.resolve_tag(event), event.value)
        except sc.ScalarProblem as exc:
            raise YamlProblem(line, str(exc), self._child_path(line)) from None
        self._finish(value, 1, event.anchor, line, new=1)

    def _key(self, parent: _Frame, event: yaml.ScalarEvent, line: int) -> None:
        raw = event.value
        try:
            tag = sc.resolve_tag(event)
        except sc.ScalarProblem:
            tag = sc.FLOAT
        if tag == sc.MERGE:
            parent.key, parent.key_line = _MERGE_KEY, line
            return
        if tag != sc.STR:
            raise YamlProblem(line, f"mapping key {raw[:40]!r} is not text: quote it", parent.path)
        assert isinstance(parent.value, dict)
        if raw in parent.value:
            # PyYAML silently keeps the last duplicate; in a reviewed file that hides mistakes.
            raise YamlProblem(line, f"key {raw!r} appears twice in the same mapping", parent.path)
        parent.key, parent.key_line = raw, line
        self.located.lines[(*parent.path, raw)] = line

    def _start(self, event: yaml.CollectionStartEvent, line: int, is_map: bool) -> None:
        path = self._child_path(line)
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(line, f"nested deeper than {MAX_DEPTH} levels", path)
        if event.tag is not None:
            try:
                sc.check_collection_tag(event.tag, is_map)
            except sc.ScalarProblem as exc:
                raise YamlProblem(line, str(exc), path) from None
        self.located.lines.setdefault(path, line)
        self.stack.append(_Frame(path, is_map, event.anchor))

    def _end(self, line: int) -> None:
        frame = self.stack.pop()
        if frame.merges:
            frame.value = self._merged(frame)
        self._finish(frame.value, frame.size, frame.anchor, line, new=1)

    def _alias(self, event: yaml.AliasEvent, line: int) -> None:
        path = self._child_path(line)
        target = self.anchors.get(str(event.anchor))
        if target is None:
            raise YamlProblem(line, f"unknown alias *{event.anchor}", path)
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlProblem(line, f"more than {MAX_ALIASES} aliases", path)
        self._finish(target[0], target[1], None, line, new=target[1])

    def _child_path(self, line: int) -> Path_:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if not parent.is_map:
            path = (*parent.path, len(parent.value))
            self.located.lines.setdefault(path, line)
            return path
        if parent.key is None:
            raise YamlProblem(line, "mapping keys must be plain values")
        return parent.path if parent.key is _MERGE_KEY else (*parent.path, parent.key)

    def _finish(self, value: Any, size: int, anchor: str | None, line: int, new: int) -> None:
        """Count `new` values (an alias: all it expands to) and hang `value` (of `size`
        values) under its parent, or make it the document."""
        # Aliases share one Python object, but every reader walks it again: count it again.
        self.values += new
        if self.values > MAX_VALUES:
            raise YamlProblem(line, f"more than {MAX_VALUES} values (aliases included)")
        if anchor:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.located.data = value
            return
        parent = self.stack[-1]
        parent.size += size
        if not parent.is_map:
            parent.value.append(value)  # type: ignore[union-attr]
        elif parent.key is _MERGE_KEY:
            parent.merges.append((parent.key_line, value))
            parent.key = None
        else:
            parent.value[parent.key] = value  # type: ignore[call-overload]
            parent.key = None

    def _merged(self, frame: _Frame) -> dict[str, Any]:
        """`<<: *anchor` merge keys, resolved the way yaml.safe_load does: own keys win, and
        among merged mappings the first listed wins."""
        merged: dict[str, Any] = {}
        for line, value in reversed(frame.merges):
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources):
                raise YamlProblem(line, "<< merges a mapping or a list of mappings only")
            for source in reversed(sources):
                merged.update(source)
                for key in source:
                    self.located.lines.setdefault((*frame.path, key), line)
        assert isinstance(frame.value, dict)
        return {**merged, **frame.value}
