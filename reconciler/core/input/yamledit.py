"""Edit one agent in a desired/ file as text, so comments and layout survive. Pure.

A YAML round trip through a parser would drop every comment a reviewer wrote (PyYAML) or
re-indent the whole file (ruamel.yaml: one budget changed in an imported file rewrote 9 of its
lines, in the README's flow style it joined a two-line entry), so the agent commands rewrite
only the lines of the fields they change, found through the line map the loader keeps: block
mappings (block lists under a key at any indent, the key's own or deeper) and flow entries
(`- {name: x, ...}`, edited entry by entry in core/input/yamlflow.py). A field set to CLEAR is
removed. Anything these edits cannot follow (multi-line scalars, anchors, tags) is refused
with a hint to edit by hand, never guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.core.input.yamlflow import FlowError, scan, set_entry
from reconciler.core.input.yamlsource import Located, YamlProblem, parse


class _Clear:
    """The value that removes a field (`--rpm none`)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Any = _Clear()

# The order a new agent's fields are written in, and set fields are inserted in.
AGENT_FIELD_ORDER = (
    "name",
    "owner",
    "models",
    "team",
    "blocked",
    "max_budget",
    "budget_duration",
    "rpm_limit",
    "tpm_limit",
    "rotation",
    "rotation_grace",
    "metadata",
)


class EditError(Exception):
    """The file cannot be edited safely as text; the message says what to do instead."""


@dataclass(frozen=True)
class AgentBlock:
    """Where an agent's mapping sits: the `- name:` line and the indentation of its keys."""

    index: int  # position in the file's agents list
    first_line: int  # 0-based index of the `- name:` line
    last_line: int  # 0-based index of the block's last line (inclusive)
    indent: int  # column of the agent's keys
    flow: int | None = None  # offset of the `{` of a flow entry (`- {name: x, ...}`)


def scalar(value: Any) -> str:
    """A YAML scalar or flow list as the agent commands write it: JSON is valid YAML 1.2."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and _plain_ok(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _plain_ok(text: str) -> bool:
    # Plain only when the YAML reader gives the very same string back; words that YAML 1.1 and
    # 1.2 read differently (yes, off) are quoted whatever this reader makes of them.
    if text.lower() in {"yes", "no", "on", "off", "y", "n"} or "\n" in text or "#" in text:
        return False
    try:
        return parse(f"v: {text}\n").data == {"v": text}
    except YamlProblem:
        return False


def new_agent_file(fields: dict[str, Any]) -> str:
    """A whole file declaring one agent, fields in the canonical order."""
    lines = ["agents:"]
    first = True
    for name in AGENT_FIELD_ORDER:
        if name not in fields or fields[name] is CLEAR:
            continue
        prefix = "  - " if first else "    "
        lines.append(f"{prefix}{name}: {scalar(fields[name])}")
        first = False
    return "\n".join(lines) + "\n"


def find_agent(text: str, located: Located, name: str) -> AgentBlock:
    agents = located.data.get("agents") if isinstance(located.data, dict) else None
    if not isinstance(agents, list):
        raise EditError("the file has no agents list")
    for index, item in enumerate(agents):
        if isinstance(item, dict) and item.get("name") == name:
            return _block(text.splitlines(), located, index)
    raise EditError(f"agent {name!r} is not in this file")


def _block(lines: list[str], located: Located, index: int) -> AgentBlock:
    first = located.lines[("agents", index)] - 1
    match = re.match(r"^(\s*)-\s+(\S)", lines[first])
    if match is None:
        raise EditError("the agent is not a `- name: ...` or `- {name: ...}` entry; edit it "
                        "by hand")
    indent = len(match.group(1)) + 2
    if match.group(2) == "{":
        offset = sum(len(line) + 1 for line in lines[:first]) + match.start(2)
        return AgentBlock(index, first, first, indent, flow=offset)
    last = first
    for number in range(first + 1, len(lines)):
        stripped = lines[number].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[number]) - len(lines[number].lstrip()) < indent:
            break
        last = number
    return AgentBlock(index, first, last, indent)


def set_field(text: str, located: Located, name: str, field: str, value: Any) -> str:
    """`text` with the agent's `field` set to `value` (added if absent, removed when CLEAR);
    comments kept."""
    block = find_agent(text, located, name)
    if block.flow is not None:
        return _set_flow(text, block.flow, field, value)
    lines = text.splitlines()
    path = ("agents", block.index, field)
    if path in located.lines:
        start = located.lines[path] - 1
        end = _value_end(lines, start, block)
        if value is CLEAR:
            if start == block.first_line:
                raise EditError(f"`{field}` opens the agent's entry; edit it by hand")
            del lines[start : end + 1]
        elif isinstance(value, list) and end > start and _is_item(lines[start + 1]):
            lines[start + 1 : end + 1] = _block_items(lines[start + 1 : end + 1], value)
        else:
            lines[start : end + 1] = [_with_value(lines[start], field, value, start == end)]
    elif value is not CLEAR:
        lines.insert(_insert_at(lines, located, block, field), _line(block, field, value))
    return "\n".join(lines) + "\n"


def _set_flow(text: str, offset: int, field: str, value: Any) -> str:
    try:
        flow = scan(text, offset)
        before = list(AGENT_FIELD_ORDER[: AGENT_FIELD_ORDER.index(field)])
        return set_entry(text, flow, field, None if value is CLEAR else scalar(value), before)
    except FlowError as exc:
        raise EditError(f"{exc}; edit it by hand") from None


def _is_item(line: str) -> bool:
    return line.lstrip().startswith("- ") or line.strip() == "-"


def _block_items(old: list[str], values: list[Any]) -> list[str]:
    """A block list's new item lines: an item kept keeps its line (and its comment); comment
    lines stay first."""
    items = [line for line in old if _is_item(line)]
    prefix = items[0][: len(items[0]) - len(items[0].lstrip())]
    kept = {_item_value(line): line for line in items}
    comments = [line for line in old if not _is_item(line) and line.strip().startswith("#")]
    return comments + [kept.get(scalar(v), f"{prefix}- {scalar(v)}") for v in values]


def _item_value(line: str) -> str:
    return line.lstrip()[1:].split(" #")[0].strip()


def _value_end(lines: list[str], start: int, block: AgentBlock) -> int:
    """Last line of a field's value: the field's own line, or its nested lines below it (a
    block list may sit at the key's own indent: `models:` then `- A` under it)."""
    end = start
    own = lines[start].split("#")[0].rstrip().endswith(":")
    for number in range(start + 1, block.last_line + 1):
        stripped = lines[number].strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(lines[number]) - len(lines[number].lstrip())
        if indent < block.indent or (indent == block.indent and not (own and _is_item(
                lines[number]))):
            break
        end = number
    return end


def _with_value(line: str, field: str, value: Any, single: bool) -> str:
    match = re.match(rf"^(\s*(?:-\s+)?{re.escape(field)}:)(\s*)([^#]*?)(\s+#.*)?$", line)
    if match is None:
        raise EditError(f"cannot find `{field}:` on its line; edit it by hand")
    if single and match.group(3)[:1] in ("|", ">", "&", "*", "!"):
        raise EditError(f"`{field}` uses YAML syntax these edits do not rewrite; edit it by hand")
    return f"{match.group(1)} {scalar(value)}{match.group(4) or ''}"


def _line(block: AgentBlock, field: str, value: Any) -> str:
    return f"{' ' * block.indent}{field}: {scalar(value)}"


def _insert_at(lines: list[str], located: Located, block: AgentBlock, field: str) -> int:
    """After the nearest field that comes before `field` in the canonical order."""
    earlier = AGENT_FIELD_ORDER[: AGENT_FIELD_ORDER.index(field)]
    after = block.first_line
    for other in earlier:
        path = ("agents", block.index, other)
        if path in located.lines:
            after = max(after, _value_end(lines, located.lines[path] - 1, block))
    return after + 1
