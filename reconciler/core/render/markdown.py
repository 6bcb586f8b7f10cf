"""Markdown for a pull-request comment: a summary table, the changes as a diff block.

Names come from desired/ and from the live gateway, so none reaches markdown as markup: inside
the diff block every line starts with its diff prefix (a name cannot close the fence) and is
escaped; elsewhere names and warnings sit in code spans, where neither markdown, HTML nor
autolinks are interpreted.
"""

from __future__ import annotations

import re
from typing import TextIO

from reconciler.core.masking import safe_text
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
            out.write(f"{prefix} {safe_text(headline(change, symbol=False))}\n")
            for line in field_lines(change):
                out.write(f"{prefix}     {safe_text(line)}\n")
        out.write("```\n\n")
    for line in hold_lines(plan):
        out.write(f"> ⏸ {code_span(line)}\n")
    for warning in plan.warnings:
        out.write(f"> ⚠️ {code_span(warning)}\n")
    if plan.warnings or plan.holds:
        out.write("\n")
    if plan.untouched:
        out.write(f"<details><summary>Left untouched ({len(plan.untouched)})</summary>\n\n")
        for item in plan.untouched:
            detail = f" {code_span(item.detail)}" if item.detail else ""
            out.write(f"- {UNTOUCHED_LABELS[item.kind]}: {code_span(item.name)}{detail}\n")
        out.write("\n</details>\n")


def code_span(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds (CommonMark's rule: a
    longer run of backticks delimits, spaces pad a content that starts or ends with one)."""
    content = safe_text(text)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if longest or content.startswith(" ") or content.endswith(" "):
        return f"{fence} {content} {fence}"
    return f"{fence}{content}{fence}"
