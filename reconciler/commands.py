"""What each CLI command does, wiring the pure core to the client, files and the terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from reconciler.apply import ApplyReport, StepResult, StepStatus, apply_plan
from reconciler.changes import Action
from reconciler.desired import Estate, json_schema
from reconciler.diff import plan_changes
from reconciler.errors import PlanError, ReconcilerError, SecretSinkError, StalePlanError
from reconciler.gateway import GatewayClient
from reconciler.live import LiveState, parse_live
from reconciler.loader import load_estate
from reconciler.plan import Plan, plan_from_data
from reconciler.render import render
from reconciler.sinks import CommandSink, FileSink, SecretSink
from reconciler.sources import read_sources

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


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
        plan = plan_changes(estate, read_live(client, fallbacks=estate.manages_fallbacks))
    render(plan, sys.stdout, fmt=args.format, color=args.format == "text" and use_color(sys.stdout))
    if args.out:
        _write_json(args.out, plan.data)
        print(
            f"Saved the plan to {args.out}; apply it with: reconciler apply {args.out}",
            file=sys.stderr,
        )
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


def run_apply(args: argparse.Namespace) -> int:
    sink = choose_sink(args)
    if not args.auto_approve and not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs a terminal to confirm; pass --auto-approve in automation"
        )
    saved = load_saved_plan(args.planfile) if args.planfile else None
    if saved is not None:
        _require_sink(saved, sink)  # before any call: a saved plan says it all
    estate = None if saved else load_estate(read_sources(args.desired))
    with open_client(args) as client:
        plan = _current_plan(client, saved, estate, args.planfile)
        if not plan.has_changes:
            print("No changes. The gateway matches desired/.")
            return EXIT_OK
        if not args.force:
            plan.raise_if_unsafe()
        _require_sink(plan, sink)
        render(plan, sys.stdout, color=use_color(sys.stdout))
        if not args.auto_approve and not _confirmed():
            print("Apply cancelled; nothing was changed.")
            return EXIT_ERROR
        report = apply_plan(plan, client, sink, on_step=_print_step)
    return _finish(report, args.report)


def _current_plan(
    client: GatewayClient, saved: Plan | None, estate: Estate | None, planfile: Path | None
) -> Plan:
    """The plan to apply: computed now, or the saved one if the gateway has not moved since."""
    if saved is None:
        assert estate is not None
        return plan_changes(estate, read_live(client, fallbacks=estate.manages_fallbacks))
    live = read_live(client, fallbacks=saved.manages_fallbacks)
    if saved.live_fingerprint != live.fingerprint():
        raise StalePlanError(f"the gateway changed since {planfile} was made; run plan again")
    return saved


def run_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def open_client(args: argparse.Namespace) -> GatewayClient:
    if not args.base_url:
        raise ReconcilerError("no gateway address: set LITELLM_BASE_URL or pass --base-url")
    if not args.admin_key:
        raise ReconcilerError("no admin key: set LITELLM_ADMIN_KEY")
    return GatewayClient(args.base_url, args.admin_key, timeout=args.timeout)


def read_live(client: GatewayClient, *, fallbacks: bool) -> LiveState:
    router = client.router_settings() if fallbacks else None
    return parse_live(client.list_keys(), client.list_models(), router)


def choose_sink(args: argparse.Namespace) -> SecretSink | None:
    if args.secrets_out and args.secrets_cmd:
        raise ReconcilerError("choose one secret sink: --secrets-out or --secrets-cmd")
    if args.secrets_out:
        return FileSink(args.secrets_out)
    if args.secrets_cmd:
        return CommandSink(args.secrets_cmd)
    return None


def _require_sink(plan: Plan, sink: SecretSink | None) -> None:
    creates = [c.target for c in plan.changes if c.action is Action.CREATE_KEY]
    if creates and sink is None:
        raise SecretSinkError(
            f"the plan creates {len(creates)} key(s) ({', '.join(creates)}) and a new key's "
            "secret is shown only once: choose --secrets-out FILE or --secrets-cmd CMD"
        )


def load_saved_plan(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanError(f"cannot read plan file {path}: {exc}") from None
    return plan_from_data(data)


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _confirmed() -> bool:
    print("\nDo you want to apply these changes? Only 'yes' will be accepted.")
    try:
        return input("  Enter a value: ").strip() == "yes"
    except EOFError:
        return False


def _print_step(result: StepResult) -> None:
    marks = {
        StepStatus.DONE: "ok",
        StepStatus.FAILED: "FAILED",
        StepStatus.NOT_ATTEMPTED: "skipped",
    }
    change = result.change
    line = f"  [{marks[result.status]}] {change.action.value} {change.target}"
    if result.message:
        line += f": {result.message}"
    print(line, file=sys.stderr if result.status is StepStatus.FAILED else sys.stdout)


def _finish(report: ApplyReport, path: Path) -> int:
    _write_json(path, report.data)
    done = report.count(StepStatus.DONE)
    if report.ok:
        print(f"Apply complete: {done} change(s) done. Report: {path}")
        return EXIT_OK
    print(
        f"error: apply stopped: {done} done, {report.count(StepStatus.FAILED)} failed, "
        f"{report.count(StepStatus.NOT_ATTEMPTED)} not attempted. Report: {path}. "
        "Fix the cause and run apply again; it continues from the live state.",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _write_json(path: Path, data: object) -> None:
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror}") from None
