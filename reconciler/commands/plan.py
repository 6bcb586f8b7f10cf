"""validate, plan and schema: read desired/, read the gateway, print; never write."""

from __future__ import annotations

import argparse
import io
import json
import sys

from reconciler.commands.common import (
    EXIT_CHANGES,
    EXIT_OK,
    derive_plan,
    open_client,
    use_color,
    write_json,
)
from reconciler.commands.targets import all_trees, desired_estate, load_tree
from reconciler.core.engine.plan import Plan
from reconciler.core.errors import ReconcilerError
from reconciler.core.input.desired import json_schema
from reconciler.core.render import render
from reconciler.core.render.fit import fit_markdown


def run_validate(args: argparse.Namespace) -> int:
    """--target NAME: that target's estate; without it, every target's (or desired/ alone)."""
    trees = [load_tree(args.desired, args.target)] if args.target else all_trees(args.desired)
    for tree in trees:
        estate = tree.estate
        what = f"target {tree.target}" if tree.target else "desired/"
        # Teams, users and budgets are counted where the estate declares them.
        more = "".join(f", {len(getattr(estate, s))} {s[:-1]}(s)"
                       for s in ("teams", "users", "budgets") if estate.declares(s))
        print(
            f"{what} is valid: {len(estate.agents)} agent(s), {len(estate.models)} model(s), "
            f"{len(estate.pinned)} pinned key(s){more}"
        )
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    estate = desired_estate(args)
    with open_client(args) as client:
        plan, _ = derive_plan(client, estate)
    print_plan(plan, args)
    if args.out:
        write_json(args.out, plan.data)
        print(
            f"Saved the plan to {args.out}; apply it with: reconciler apply {args.out}",
            file=sys.stderr,
        )
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


def write_fitted(plan: Plan, fmt: str, max_chars: int, note: str, *,
                 show_untouched: bool = False) -> None:
    """The rendered plan cut to max_chars at a line boundary (JSON cannot be cut)."""
    if fmt == "json":
        raise ReconcilerError("--max-chars works with --format text or markdown, not json")
    buffer = io.StringIO()
    render(plan, buffer, fmt=fmt, color=False, show_untouched=show_untouched)
    sys.stdout.write(fit_markdown(buffer.getvalue(), max_chars, note=note))


def run_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def print_plan(plan: Plan, args: argparse.Namespace) -> None:
    """A plan on stdout in the chosen format, cut to --max-chars when asked (plan and show)."""
    if getattr(args, "max_chars", None):
        write_fitted(plan, args.format, args.max_chars, args.truncation_note,
                     show_untouched=args.show_untouched)
    else:
        color = args.format == "text" and use_color(sys.stdout)
        render(plan, sys.stdout, fmt=args.format, color=color,
               show_untouched=args.show_untouched)
