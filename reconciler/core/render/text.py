"""Terraform-like text: + create, ~ update (before → after), -/+ replace, - delete, ⊘ block,
↺ unblock, ⟳ rotate; untouched objects as one count line unless asked for; the safety rails."""

from __future__ import annotations

from typing import TextIO

from reconciler.core.engine.plan import Plan
from reconciler.core.masking import safe_text
from reconciler.core.render.common import (
    UNTOUCHED_LABELS,
    hold_lines,
    items,
    rail_lines,
    summary_line,
    untouched_counts,
)

_COLORS = {
    "@": "36", "+": "32", "~": "33", "-": "31", "-/+": "35", "⊘": "31", "↺": "32", "⟳": "36",
    "!": "33",
}


def _paint(text: str, symbol: str, color: bool) -> str:
    return f"\033[{_COLORS[symbol]}m{text}\033[0m" if color else text


def render(plan: Plan, out: TextIO, *, color: bool = False, show_untouched: bool = False) -> None:
    # Every line passes through safe_text before our own colours are added: a name cannot
    # carry an escape sequence, a line break or a bidi mark onto the terminal.
    for item in items(plan):
        out.write(_paint(safe_text(f"{item.symbol} {item.headline}"), item.symbol, color) + "\n")
        for line in item.lines:
            out.write(f"      {safe_text(line)}\n")
    if plan.changes:
        out.write("\n")
    for line in hold_lines(plan):
        out.write(_paint(f"  ⏸ {safe_text(line)}", "!", color) + "\n")
    _untouched(plan, out, show_untouched)
    for warning in plan.warnings:
        out.write(_paint(f"  ! warning: {safe_text(warning)}", "!", color) + "\n")
    if plan.untouched or plan.warnings or plan.holds:
        out.write("\n")
    if plan.changes:
        out.write("Safety rails (apply refuses a plan over them without --force):\n")
        out.writelines(f"  {line}\n" for line in rail_lines(plan))
        headline = plan.shown_rails.headline()
        if headline:
            out.write(_paint(f"  ! {safe_text(headline)}", "!", color) + "\n")
        out.write("\n")
    out.write(summary_line(plan) + "\n")


def _untouched(plan: Plan, out: TextIO, show_untouched: bool) -> None:
    if not plan.untouched:
        return
    if not show_untouched:
        out.write(f"  = {untouched_counts(plan)}\n")
        return
    for item in plan.untouched:
        line = f"  = {UNTOUCHED_LABELS[item.kind]}: {item.name} {item.detail}".rstrip()
        out.write(safe_text(line) + "\n")
