"""Markdown for a pull-request comment: a summary table, the changes as a diff block.

Names come from desired/ and from the live gateway, so none reaches markdown as markup: inside
the diff block every line starts with its diff prefix (a name cannot close the fence) and is
escaped; elsewhere names and warnings sit in code spans, where neither markdown, HTML nor
autolinks are interpreted.
"""

from __future__ import annotations

import re
from typing import TextIO

from reconciler.core.engine.plan import Plan
from reconciler.core.masking import safe_text
from reconciler.core.render.common import (
    REPLACE,
    UNTOUCHED_LABELS,
    hold_lines,
    items,
    summary_line,
    untouched_counts,
)

# GitHub colours diff lines by their first character: + green, - red, ! orange.
_DIFF_PREFIX = {"@": "!", "+": "+", "~": "!", "-": "-", "-/+": "!", "⊘": "-", "↺": "+", "⟳": "!"}


def render(plan: Plan, out: TextIO, *, color: bool = False, show_untouched: bool = False) -> None:
    out.write("### reconciler plan\n\n")
    out.write(f"**{summary_line(plan)}**\n\n")
    headline = plan.shown_rails.headline() if plan.changes else None
    if headline:
        out.write(f"> ⚠️ **{code_span(headline)}**\n\n")
    if plan.changes:
        out.write("| action | count |\n|---|---:|\n")
        for action, count in plan.summary.items():
            if count:
                out.write(f"| `{action}` | {count} |\n")
        out.write("\n```diff\n")
        for item in items(plan):
            prefix = _DIFF_PREFIX[item.symbol]
            # One diff character per line; a replacement keeps its -/+ in the text as well.
            head = f"{item.symbol} {item.headline}" if item.symbol == REPLACE else item.headline
            out.write(f"{prefix} {safe_text(head)}\n")
            for line in item.lines:
                out.write(f"{prefix}     {safe_text(line)}\n")
        out.write("```\n\n")
        _rails(plan, out)
    for line in hold_lines(plan):
        out.write(f"> ⏸ {code_span(line)}\n")
    for warning in plan.warnings:
        out.write(f"> ⚠️ {code_span(warning)}\n")
    if plan.warnings or plan.holds:
        out.write("\n")
    _untouched(plan, out, show_untouched)


def _rails(plan: Plan, out: TextIO) -> None:
    check = plan.shown_rails
    # Folded when every rail passes: the numbers are there, the reviewer's eye is not needed.
    if check.exceeded:
        out.write(f"**Safety rails: {check.verdict}**\n\n")
    else:
        out.write(f"<details><summary>Safety rails: {check.verdict}</summary>\n\n")
    out.write("| rail | count | of managed | share | limit | result |\n"
              "|---|---:|---:|---:|---:|---|\n")
    for rail in check.rails:
        result = "exceeded" if rail.exceeded else "ok" if rail.checked else "not checked"
        out.write(f"| {rail.label} | {rail.count} | {rail.base} | {rail.share:.0%} | "
                  f"{rail.limit:.0%} | {result} |\n")
    out.write("\n</details>\n\n" if not check.exceeded else "\n")


def _untouched(plan: Plan, out: TextIO, show_untouched: bool) -> None:
    if not plan.untouched:
        return
    if not show_untouched:
        out.write(f"{untouched_counts(plan)}\n")
        return
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
