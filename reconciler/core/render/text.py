"""Terraform-like text: + create, ~ update (before → after), - delete, ⊘ block, ↺ unblock."""

from __future__ import annotations

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

_COLORS = {"@": "36", "+": "32", "~": "33", "-": "31", "⊘": "31", "↺": "32", "!": "33"}


def _paint(text: str, symbol: str, color: bool) -> str:
    return f"\033[{_COLORS[symbol]}m{text}\033[0m" if color else text


def render(plan: Plan, out: TextIO, *, color: bool = False) -> None:
    # Every line passes through safe_text before our own colours are added: a name cannot
    # carry an escape sequence, a line break or a bidi mark onto the terminal.
    for change in plan.changes:
        out.write(_paint(safe_text(headline(change)), change.action.symbol, color) + "\n")
        for line in field_lines(change):
            out.write(f"      {safe_text(line)}\n")
    if plan.changes:
        out.write("\n")
    for line in hold_lines(plan):
        out.write(_paint(f"  ⏸ {safe_text(line)}", "!", color) + "\n")
    for item in plan.untouched:
        line = f"  = {UNTOUCHED_LABELS[item.kind]}: {item.name} {item.detail}".rstrip()
        out.write(safe_text(line) + "\n")
    for warning in plan.warnings:
        out.write(_paint(f"  ! warning: {safe_text(warning)}", "!", color) + "\n")
    if plan.untouched or plan.warnings or plan.holds:
        out.write("\n")
    out.write(summary_line(plan) + "\n")
