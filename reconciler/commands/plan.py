"""validate, plan and schema: read desired/, read the gateway, print; never write."""

from __future__ import annotations

import argparse
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
from reconciler.commands.sources import read_sources
from reconciler.core.desired import json_schema
from reconciler.core.loader import load_estate
from reconciler.core.render import render


def run_validate(args: argparse.Namespace) -> int:
    estate = load_estate(read_sources(args.desired))
    print(
        f"desired/ is valid: {len(estate.agents)} agent(s), {len(estate.models)} model(s), "
        f"{len(estate.pinned)} pinned key(s)"
    )
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    estate = load_estate(read_sources(args.desired))
    with open_client(args) as client:
        plan, _ = derive_plan(client, estate)
    render(plan, sys.stdout, fmt=args.format, color=args.format == "text" and use_color(sys.stdout))
    if args.out:
        write_json(args.out, plan.data)
        print(
            f"Saved the plan to {args.out}; apply it with: reconciler apply {args.out}",
            file=sys.stderr,
        )
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK
