"""show: print a plan saved by `plan --out`, in any format, without calling the gateway.

CI saves one plan and renders it twice from the same file (the whole markdown for the
artifact, a cut one for the pull-request comment), so both always describe the same plan.
"""

from __future__ import annotations

import argparse
import sys

from reconciler.commands.apply import load_saved_plan
from reconciler.commands.common import EXIT_OK, use_color
from reconciler.commands.plan import write_fitted
from reconciler.core.render import render


def run_show(args: argparse.Namespace) -> int:
    plan = load_saved_plan(args.planfile)
    if args.max_chars:
        write_fitted(plan, args.format, args.max_chars, args.truncation_note,
                     show_untouched=args.show_untouched)
    else:
        color = args.format == "text" and use_color(sys.stdout)
        render(plan, sys.stdout, fmt=args.format, color=color,
               show_untouched=args.show_untouched)
    return EXIT_OK
