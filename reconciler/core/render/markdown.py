"""Markdown for a pull-request comment: a summary table, the changes as a diff block."""

from __future__ import annotations

from typing import TextIO

from reconciler.core.plan import Plan
from reconciler.core.render.common import (
    UNTOUCHED_LABELS,
    field_lines,
    headline,
    hold_lines,
    summary_line,
)

# GitHub colours diff lines by their first character: + green, - red, ! orange.
_DIFF_PREFIX = {"@": "!", "+": "+", "~": "!", "-": "-", "⊘": "-", "↺": "+"}


def render(plan: Plan, out: TextIO, *, color: bool = False) -> None:
    out.write("### reconciler plan\n\n")
    out.write(f"**{summary_line(plan)}**\n\n")
    if plan.changes:
        out.write("| action | count |\n|---|---:|\n")
        for action, count in plan.summary.items():
            if count:
                out.write(f"| `{action}` | {count} |\n")
        out.write("\n```diff\n")
        for change in plan.changes:
            prefix = _DIFF_PREFIX[change.action.symbol]
            out.write(f"{prefix} {headline(change, symbol=False)}\n")
            for line in field_lines(change):
                out.write(f"{prefix}     {line}\n")
        out.write("```\n\n")
    for line in hold_lines(plan):
        out.write(f"> ⏸ {line}\n")
    for warning in plan.warnings:
        out.write(f"> ⚠️ {warning}\n")
    if plan.warnings or plan.holds:
        out.write("\n")
    if plan.untouched:
        out.write(f"<details><summary>Left untouched ({len(plan.untouched)})</summary>\n\n")
        for item in plan.untouched:
            out.write(
                f"- {UNTOUCHED_LABELS[item.kind]}: `{item.name}` {item.detail}".rstrip() + "\n"
            )
        out.write("\n</details>\n")
