"""Edit one agent in a desired/ file as text, so comments and layout survive. Pure.

A YAML round trip through a parser would drop every comment a reviewer wrote; the agent
commands instead rewrite only the lines of the fields they change, found through the line
map the loader keeps. Anything laid out in a way these edits cannot follow (flow mappings,
multi-line scalars) is refused with a hint to edit by hand, never guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.core.input.yamlsource import Located, YamlProblem, parse

# The order a new agent's fields are written in, and set fields are inserted in.
AGENT_FIELD_ORDER = (
    "name",
    "owner",
    "models",
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


def scalar(value: Any) -> str:
    """A YAML scalar or flow list as the agent commands write it: JSON is valid YAML 1.2."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
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
        if name not in fields:
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
    if match is None or lines[first].rstrip().endswith("{") or "{" in lines[first].split("#")[0]:
        raise EditError("the agent is not a block mapping (`- name: ...`); edit it by hand")
    indent = len(match.group(1)) + 2
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
    """`text` with the agent's `field` set to `value` (added if absent); comments kept."""
    lines = text.splitlines()
    block = find_agent(text, located, name)
    path = ("agents", block.index, field)
    if path in located.lines:
        start = located.lines[path] - 1
        end = _value_end(lines, start, block)
        lines[start : end + 1] = [_with_value(lines[start], field, value, start == end)]
    else:
        lines.insert(_insert_at(lines, located, block, field), _line(block, field, value))
    return "\n".join(lines) + "\n"


def _value_end(lines: list[str], start: int, block: AgentBlock) -> int:
    """Last line of a field's value: the field's own line, or its nested lines below it."""
    end = start
    for number in range(start + 1, block.last_line + 1):
        stripped = lines[number].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[number]) - len(lines[number].lstrip()) <= block.indent:
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
