"""Command line: validate | plan | show | apply | import | block | unblock | usage | health
| sandbox | schema | completion.

Exit 0 ok, 1 error, 2 changes (plan --detailed-exitcode), 3 abnormal usage or unhealthy.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path

from reconciler import __version__
from reconciler.commands.agent import add_agent_parsers, run_agent
from reconciler.commands.apply import run_apply
from reconciler.commands.audit import DEFAULT_AUDIT_LOG
from reconciler.commands.completion import add_completion_parser, completion_script
from reconciler.commands.connection import admin_key_from_env
from reconciler.commands.health import add_health_parser, run_health
from reconciler.commands.import_ import run_import
from reconciler.commands.incident import run_block, run_unblock
from reconciler.commands.parsing import Parser, add_incident_parsers, add_sandbox_flags
from reconciler.commands.plan import run_plan, run_schema, run_validate
from reconciler.commands.show import run_show
from reconciler.commands.streams import PipeSafeStream
from reconciler.commands.targets import add_desired_flags, desired_tree
from reconciler.commands.usage import add_usage_parser, run_usage
from reconciler.core.errors import DesiredError, ReconcilerError
from reconciler.core.masking import safe_text
from reconciler.core.render.fit import DEFAULT_NOTE
from reconciler.gateway.lease import DEFAULT_TTL, DEFAULT_WAIT
from reconciler.gateway.parallel import DEFAULT_PARALLELISM

MIN_MAX_CHARS = 1000  # room for the plan's head and the truncation note


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="reconciler",
        description="GitOps for a LiteLLM gateway: desired/ YAML -> plan -> apply.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _desired_flag(sub.add_parser("validate", help="check desired/ offline"))
    _add_plan(sub.add_parser("plan", help="show what apply would change (a dry run)"))
    _add_apply(sub.add_parser("apply", help="make the gateway match desired/ or a saved plan"))
    show = sub.add_parser("show", help="print a plan saved by plan --out (no gateway call)")
    show.add_argument("planfile", type=Path, help="the JSON file plan --out wrote")
    _output_flags(show)
    _add_import(sub.add_parser("import", help="write desired/ files describing the live gateway"))
    add_incident_parsers(sub, _desired_flag, _gateway_flags)
    add_sandbox_flags(sub.add_parser("sandbox", help="serve the bundled LiteLLM-like sandbox"))
    add_agent_parsers(sub, _gateway_flags)
    schema = sub.add_parser("schema", help="print the JSON Schema of desired/ files")
    schema.add_argument("--out", type=Path, help="write it to this file (default: stdout)")
    # -- observing commands: usage and health
    add_usage_parser(sub, _desired_flag, _gateway_flags)
    add_health_parser(sub, _desired_flag, _gateway_flags)
    add_completion_parser(sub)
    return parser


def _add_plan(plan: argparse.ArgumentParser) -> None:
    _desired_flag(plan)
    _gateway_flags(plan)
    plan.add_argument("--out", type=Path, help="also save the plan (JSON) for a later apply")
    _output_flags(plan)
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are",
    )


def _output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json", "drift"],
        default="text",
        help="drift: markdown of what changed outside desired/ only",
    )
    parser.add_argument(
        "--show-untouched",
        action="store_true",
        help="list every object left alone (pinned, unmanaged, config.yaml) instead of a count",
    )
    parser.add_argument(
        "--max-chars",
        type=_comment_size,
        help="cut the printed plan to this many characters, with a note (e.g. 60000 for a "
        "GitHub comment); --out still saves all of it",
    )
    parser.add_argument(
        "--truncation-note",
        default=DEFAULT_NOTE,
        help="where to find the full plan, said when it is cut (default: %(default)r)",
    )


def _comment_size(value: str) -> int:
    size = int(value) if value.isdigit() else 0
    if size < MIN_MAX_CHARS:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {MIN_MAX_CHARS}")
    return size


def _add_apply(apply: argparse.ArgumentParser) -> None:
    apply.add_argument("planfile", nargs="?", type=Path, help="a plan saved by plan --out")
    _desired_flag(apply)
    _gateway_flags(apply)
    apply.add_argument("--auto-approve", action="store_true", help="do not ask for 'yes'")
    apply.add_argument("--force", action="store_true", help="pass the plan's safety thresholds")
    apply.add_argument(
        "--secrets-out", type=Path, help="append new keys to this file (JSON lines, 0600)"
    )
    apply.add_argument("--secrets-cmd", help="run this command per new key, the key on stdin")
    apply.add_argument(
        "--lease-ttl", type=float, default=DEFAULT_TTL,
        help="seconds the gateway's apply lease outlives a crashed apply (default: %(default)s)",
    )
    apply.add_argument(
        "--lease-wait", type=float, default=DEFAULT_WAIT,
        help="seconds to wait for another apply to finish (default: %(default)s)",
    )
    apply.add_argument(
        "--wait", nargs="?", type=float, const=180.0, default=None, metavar="SECONDS",
        help="after applying, wait until every replica serves the models and routing "
        "(at most SECONDS, default 180)",
    )
    apply.add_argument(
        "--report",
        type=Path,
        default=Path("apply-report.json"),
        help="where to write what was and was not done (default: %(default)s)",
    )
    apply.add_argument(
        "--audit-log",
        type=Path,
        default=DEFAULT_AUDIT_LOG,
        help="append one JSON line per apply to this file (default: %(default)s)",
    )


def _add_import(parser: argparse.ArgumentParser) -> None:
    _desired_flag(parser)
    _gateway_flags(parser)
    parser.add_argument("--out", type=Path, help="where to write (default: --desired)")
    parser.add_argument("--scope", help="scope of a new tree (default: the tree's, or default)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="json: the summary as data (schema/outputs/import.schema.json)")
    parser.add_argument(
        "--include",
        action="append",
        metavar="GLOB",
        help="only agents / model ids matching this pattern (repeatable)",
    )


def _desired_flag(parser: argparse.ArgumentParser) -> None:
    add_desired_flags(parser)  # --desired and --target


def _gateway_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        default=os.environ.get("LITELLM_BASE_URL"),
        help="gateway address (default: $LITELLM_BASE_URL)",
    )
    parser.add_argument(
        "--admin-key",
        default=admin_key_from_env(),
        help="admin key (default: $LITELLM_ADMIN_KEY, else $LITELLM_API_KEY; prefer them)",
    )
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each answer")
    parser.add_argument(
        "--parallelism", type=_positive_int, default=DEFAULT_PARALLELISM,
        help="gateway requests in flight at once (default: %(default)s)",
    )
    parser.add_argument(
        "--retries", type=int, default=5,
        help="retries of a request that met a timeout, a dropped connection, 429, 500, 502, "
        "503, 504 or 529 (default: %(default)s)",
    )
    parser.add_argument(
        "--retry-budget", type=float, default=60.0,
        help="seconds after which a failing request is not retried again (default: %(default)s)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    original = sys.stdout
    sys.stdout = PipeSafeStream(original)  # type: ignore[assignment]
    try:
        code = _dispatch(args)
        sys.stdout.flush()
        return code
    finally:
        sys.stdout = original


def _dispatch(args: argparse.Namespace) -> int:
    try:
        # The target's gateway is bound before any command looks (block / unblock bind it
        # from what they can read of desired/, however broken the rest is).
        if getattr(args, "target", None) and args.command not in ("validate", *_INCIDENT):
            desired_tree(args)
        if args.command == "validate":
            return run_validate(args)
        if args.command == "plan":
            return run_plan(args)
        if args.command == "apply":
            return run_apply(args)
        if args.command == "show":
            return run_show(args)
        if args.command == "agent":
            return run_agent(args)
        if args.command == "schema":
            return run_schema(args)
        if args.command == "completion":
            print(completion_script(build_parser(), args.shell), end="")
            return 0
        if args.command in _INCIDENT:
            return _INCIDENT[args.command](args)
        if args.command == "import":
            return run_import(args)
        if args.command in ("usage", "health"):
            return _run_observing(args)
        return _run_sandbox(args)
    except DesiredError as exc:
        for problem in exc.problems:
            print(safe_text(str(problem)), file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ReconcilerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file the user named (e.g. schema --out) cannot be used
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1


_INCIDENT = {"block": run_block, "unblock": run_unblock}


def _run_observing(args: argparse.Namespace) -> int:
    return run_usage(args) if args.command == "usage" else run_health(args)


def _run_sandbox(args: argparse.Namespace) -> int:
    from reconciler.sandbox import DEFAULT_MASTER_KEY, serve

    try:
        serve(
            port=args.port,
            master_key=args.master_key or DEFAULT_MASTER_KEY,
            state_file=args.state,
            seed=not args.no_seed,
            latency=args.latency,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ReconcilerError(
                f"port {args.port} is already in use on 127.0.0.1: try --port N"
            ) from None
        if exc.filename:
            raise  # the --state file: named by the generic handler
        raise ReconcilerError(f"cannot serve on port {args.port}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReconcilerError(f"--state {args.state} is not a sandbox state file ({exc})") from None
    return 0


def dump_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
