"""apply: the plan to carry out (computed now or saved), confirmation, sinks, the report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reconciler.commands.audit import record_apply, run_context
from reconciler.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    open_client,
    read_live,
    use_color,
)
from reconciler.commands.health import check_ready
from reconciler.commands.targets import desired_estate
from reconciler.core.changes import Action
from reconciler.core.desired import Estate
from reconciler.core.diff import plan_changes
from reconciler.core.errors import PlanError, ReconcilerError, SecretSinkError, StalePlanError
from reconciler.core.plan import Plan, plan_from_data
from reconciler.core.render import render
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import ApplyReport, StepResult, StepStatus, apply_plan
from reconciler.gateway.sinks import CommandSink, FileSink, SecretSink


def run_apply(args: argparse.Namespace) -> int:
    sink = choose_sink(args)
    if not args.auto_approve and not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs a terminal to confirm; pass --auto-approve in automation"
        )
    saved = load_saved_plan(args.planfile) if args.planfile else None
    if saved is not None:
        _require_sink(saved, sink)  # before any call: a saved plan says it all
    estate = None if saved else desired_estate(args)
    with open_client(args) as client:
        _require_ready(client)
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
    return _finish(report, args)


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


def _require_ready(client: GatewayClient) -> None:
    """An unready gateway (DB down, starting) may accept some writes and drop others: refuse."""
    ready, detail = check_ready(client)
    if not ready:
        raise ReconcilerError(f"refusing to change a gateway that is {detail}; nothing was changed")


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


def _finish(report: ApplyReport, args: argparse.Namespace) -> int:
    path = args.report
    context = run_context(args.base_url, args.desired, args.planfile)
    record_apply(report, context, path, args.audit_log)
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
