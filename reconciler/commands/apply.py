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
from reconciler.commands.progress import Progress
from reconciler.commands.targets import desired_estate
from reconciler.core.changes import Action
from reconciler.core.desired import Estate
from reconciler.core.diff import plan_changes
from reconciler.core.errors import PlanError, ReconcilerError, SecretSinkError, StalePlanError
from reconciler.core.plan import Plan, plan_from_data
from reconciler.core.render import render
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import ApplyReport, StepStatus, apply_plan
from reconciler.gateway.lease import Lease
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
        # The lease is taken before the gateway is read: two applies must not plan the same
        # creates from the same live state.
        with _lease(client, args) as lease:
            outcome = _plan_and_apply(client, lease, saved, estate, args, sink)
    if isinstance(outcome, int):
        return outcome
    return _finish(*outcome, args)


def _plan_and_apply(
    client: GatewayClient,
    lease: Lease,
    saved: Plan | None,
    estate: Estate | None,
    args: argparse.Namespace,
    sink: SecretSink | None,
) -> int | tuple[ApplyReport, str]:
    """An exit code when nothing was applied, else the report and the pace it went at."""
    plan = _current_plan(client, saved, estate, args.planfile)
    if not plan.has_changes:
        print("No changes. The gateway matches desired/.", flush=True)
        return EXIT_OK
    if not args.force:
        plan.raise_if_unsafe()
    _require_sink(plan, sink)
    render(plan, sys.stdout, color=use_color(sys.stdout))
    if not args.auto_approve and not _confirmed():
        print("Apply cancelled; nothing was changed.")
        return EXIT_ERROR
    print(f"\nApplying {len(plan.changes)} change(s), up to {client.pool.parallelism} at once:",
          flush=True)
    progress = Progress(len(plan.changes), sys.stdout, live=use_color(sys.stdout))
    try:
        report = apply_plan(plan, client, sink, on_step=progress.step, check=lease.check)
    finally:
        progress.close()
    return report, progress.pace_text()


def _lease(client: GatewayClient, args: argparse.Namespace) -> Lease:
    def say(message: str) -> None:
        print(message, flush=True)

    return Lease(client, ttl=args.lease_ttl, wait=args.lease_wait, on_wait=say)


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


def _finish(report: ApplyReport, pace: str, args: argparse.Namespace) -> int:
    path = args.report
    context = run_context(args.base_url, args.desired, args.planfile)
    record_apply(report, context, path, args.audit_log)
    done = report.count(StepStatus.DONE)
    for warning in report.warnings:
        print(f"warning: {warning}")
    sys.stdout.flush()  # every step line before the verdict, also when both are piped
    if report.ok:
        print(f"Apply complete: {done} change(s) done. {pace}. Report: {path}",
              flush=True)
        return EXIT_OK
    how = "interrupted" if report.interrupted else "stopped"
    print(
        f"error: apply {how}: {done} done, {report.count(StepStatus.FAILED)} failed, "
        f"{report.count(StepStatus.NOT_ATTEMPTED)} not attempted. Report: {path}. "
        "Fix the cause and run apply again; it continues from the live state.",
        file=sys.stderr,
        flush=True,
    )
    return EXIT_ERROR
