"""show: print a plan saved by `plan --out`, in any format, without calling the gateway.

CI saves one plan and renders it twice from the same file (the whole markdown for the
artifact, a cut one for the pull-request comment), so both always describe the same plan.
"""

from __future__ import annotations

import argparse

from reconciler.commands.apply import load_saved_plan
from reconciler.commands.common import EXIT_OK
from reconciler.commands.plan import print_plan


def run_show(args: argparse.Namespace) -> int:
    print_plan(load_saved_plan(args.planfile), args)
    return EXIT_OK
