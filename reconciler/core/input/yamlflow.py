"""Edits inside a flow mapping (`- {name: x, owner: y, models: [A]}`), as text. Pure.

The README's own examples declare agents this way. The mapping is split into its top-level
`key: value` entries by a small scanner that knows quotes, nested brackets and comments, so
an edit replaces, removes or appends one entry and leaves every other character (spacing,
quoting, line breaks, comments) as it was.
"""

from __future__ import annotations

from dataclasses import dataclass


class FlowError(Exception):
    """Not a flow mapping these edits can follow."""


@dataclass(frozen=True)
class Entry:
    key: str
    start: int  # offset of the key
    value_start: int  # offset just after `key:`
    end: int  # offset just after the value (trailing blanks and comments excluded)


@dataclass(frozen=True)
class FlowMap:
    open: int  # offset of `{`
    close: int  # offset of the matching `}`
    entries: tuple[Entry, ...]


def scan(text: str, open_at: int) -> FlowMap:
    """The flow mapping whose `{` is at `open_at` in `text`."""
    if text[open_at : open_at + 1] != "{":
        raise FlowError("not a flow mapping")
    entries: list[Entry] = []
    depth, i, piece = 0, open_at + 1, open_at + 1
    last = piece  # end of the last meaningful character of the current entry
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _string_end(text, i)
            last = i
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        if c in "[{":
            depth += 1
        elif c in "]}" and depth:
            depth -= 1
        elif c == "}" or (c == "," and depth == 0):
            if text[piece:last].strip():
                entries.append(_entry(text, piece, last))
            if c == "}":
                return FlowMap(open_at, i, tuple(entries))
            piece = last = i + 1
            i += 1
            continue
        if not c.isspace():
            last = i + 1
        i += 1
    raise FlowError("the flow mapping is not closed")


def _string_end(text: str, i: int) -> int:
    quote, j = text[i], i + 1
    while j < len(text):
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            if quote == "'" and text[j + 1 : j + 2] == "'":
                j += 2
                continue
            return j + 1
        j += 1
    raise FlowError("a quoted string is not closed")


def _entry(text: str, start: int, end: int) -> Entry:
    body = text[start:end]
    offset = len(body) - len(body.lstrip())
    while body.startswith("#", offset):  # a comment after the previous entry's comma
        line_end = body.find("\n", offset)
        if line_end < 0:
            raise FlowError("an entry without a plain `key:`")
        offset = line_end + 1 + len(body[line_end + 1 :]) - len(body[line_end + 1 :].lstrip())
    colon = body.find(":")
    if colon < 0 or body[offset] in "'\"[{":
        raise FlowError("an entry without a plain `key:`")
    return Entry(body[offset:colon].strip(), start + offset, start + colon + 1, end)


def set_entry(text: str, flow: FlowMap, key: str, value: str | None, before: list[str]) -> str:
    """`text` with `key: value` set in the flow mapping (value None: removed). A new entry goes
    after the last of `before` present (the canonical order), else first after the opening."""
    entries = {e.key: e for e in flow.entries}
    found = entries.get(key)
    if found is not None and value is not None:
        return text[: found.value_start] + " " + value + text[found.end :]
    if found is not None:
        index = flow.entries.index(found)
        if index + 1 < len(flow.entries):  # up to the next entry: its comma goes too
            return text[: found.start] + text[flow.entries[index + 1].start :]
        if index:  # the last: from the comma after the previous entry
            return text[: flow.entries[index - 1].end] + text[found.end :]
        return text[: found.start] + text[found.end :]
    if value is None:
        return text
    anchor = next((entries[k] for k in reversed(before) if k in entries), None)
    if anchor is None:
        return text[: flow.open + 1] + f"{key}: {value}, " + text[flow.open + 1 :]
    return text[: anchor.end] + f", {key}: {value}" + text[anchor.end :]
