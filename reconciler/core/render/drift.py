"""Markdown of what changed outside desired/ only: drifted objects and held blocks. The body
of the issue the scheduled drift workflow keeps open while there is any."""

from __future__ import annotations

from typing import TextIO

from reconciler.core.engine.plan import Plan
from reconciler.core.masking import safe_text
from reconciler.core.render.common import field_lines, headline, hold_lines
from reconciler.core.render.markdown import code_span

_DIFF_PREFIX = {"@": "!", "+": "+", "~": "!", "-": "-", "⊘": "-", "↺": "+", "⟳": "!"}


def render(plan: Plan, out: TextIO, *, color: bool = False, show_untouched: bool = False) -> None:
    # show_untouched: every renderer takes it (render.render passes it); a drift report lists none.
    out.write("### reconciler drift\n\n")
    if not plan.drift and not plan.holds:
        out.write("**No drift: the gateway matches what desired/ last applied.**\n")
    if plan.drift:
        out.write(
            f"**{len(plan.drift)} object(s) changed outside desired/.** The next apply puts "
            "them back (the lines show live → desired); to keep a change, make it in desired/.\n"
            "\n```diff\n"
        )
        for change in plan.drift:
            prefix = _DIFF_PREFIX[change.verb.symbol]
            out.write(f"{prefix} {safe_text(headline(change, symbol=False))}\n")
            out.writelines(f"{prefix}     {safe_text(line)}\n" for line in field_lines(change))
        out.write("```\n")
    if plan.holds:
        count = len(plan.holds)
        out.write(f"\n**{count} key(s) blocked outside desired/** (apply keeps them):\n\n")
        out.writelines(f"- {code_span(line)}\n" for line in hold_lines(plan))
    pending = len(plan.changes) - len(plan.drift)
    if pending:
        out.write(f"\n{pending} other change(s) from desired/ are not applied yet.\n")
