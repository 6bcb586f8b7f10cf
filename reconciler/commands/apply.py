"""apply: the plan to carry out, confirmation, sinks, the report.

A saved plan is never run as written: the plan is derived again from desired/ and the live
gateway, and the saved one must be exactly that. Every change then passes the guard, once
before anything is shown and again right before its own write.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler.commands.audit import record_apply, run_context
from reconciler.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    derive_plan,
    open_client,
    use_color,
)
from reconciler.commands.health import check_ready
from reconciler.commands.inforce import say_served
from reconciler.commands.planfile import read_plan_json
from reconciler.commands.progress import Progress
from reconciler.commands.targets import desired_estate
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.engine.plan import Plan, desired_digest, digest_of, plan_from_data
from reconciler.core.errors import (
    ReconcilerError,
    SecretSinkError,
    StalePlanError,
)
from reconciler.core.input.desired import Estate
from reconciler.core.registry import kind
from reconciler.core.render import render
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import ApplyReport, StepStatus, apply_plan
from reconciler.gateway.lease import MAX_TTL, Lease
from reconciler.gateway.sinks import CommandSink, FileSink, SecretSink
from reconciler.gateway.version import proxy_version, version_warning


def run_apply(args: argparse.Namespace) -> int:
    sink = choose_sink(args)
    saved = load_saved_plan(args.planfile) if args.planfile else None
    estate = desired_estate(args)
    if saved is not None:
        # Before any call: a saved plan is only ever the one its desired/ gives.
        if saved.desired_digest != desired_digest(estate):
            raise StalePlanError(
                f"{args.planfile} was made from another desired/ than {args.desired} "
                "(desired_digest differs); nothing was changed; run plan again"
            )
        _require_sink(saved, sink)
    with open_client(args) as client:
        _require_ready(client)
        _warn_version(proxy_version(client))
        # The lease is taken before the gateway is read: two applies must not plan the same
        # creates from the same live state.
        with _lease(client, args) as lease:
            outcome = _plan_and_apply(client, lease, saved, estate, args, sink)
        if isinstance(outcome, int):
            return outcome
        code = _finish(*outcome, args)
        if code == EXIT_OK:
            code = say_served(client, outcome[0], getattr(args, "wait", None))
    return code


def _plan_and_apply(
    client: GatewayClient,
    lease: Lease,
    saved: Plan | None,
    estate: Estate,
    args: argparse.Namespace,
    sink: SecretSink | None,
) -> int | tuple[ApplyReport, str]:
    """An exit code when nothing was applied, else the report and the pace it went at."""
    plan, live = derive_plan(client, estate)
    if saved is not None:
        _same_plan(saved, plan, args.planfile)
    guard = Guard(GuardContext.build(estate, live))
    for change in plan.changes:
        guard(change)  # every change is checked again before its own write, too
    if not plan.has_changes:
        print("No changes. The gateway matches desired/.", flush=True)
        return EXIT_OK
    if not args.force:
        plan.raise_if_unsafe()
    _require_sink(plan, sink)
    render(plan, sys.stdout, color=use_color(sys.stdout))
    if not args.auto_approve and not sys.stdin.isatty():
        # Asked only once there is something to confirm: with nothing to change apply exits
        # 0 above, terminal or not (as Terraform does).
        raise ReconcilerError(
            "apply needs a terminal to confirm; pass --auto-approve in automation"
        )
    if not args.auto_approve and not _confirmed():
        print("Apply cancelled; nothing was changed.")
        return EXIT_ERROR
    print(f"\nApplying {len(plan.changes)} change(s), up to {client.pool.parallelism} at once:",
          flush=True)
    progress = Progress(len(plan.changes), sys.stdout, live=use_color(sys.stdout))
    try:
        report = apply_plan(plan, client, sink, on_step=progress.step, check=lease.check,
                            guard=guard)
    finally:
        progress.close()
    return report, progress.pace_text()


def _warn_version(version: str | None) -> None:
    warning = version_warning(version)
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)


def _lease(client: GatewayClient, args: argparse.Namespace) -> Lease:
    def say(message: str) -> None:
        print(message, flush=True)

    def warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    if not 0 < args.lease_ttl <= MAX_TTL:
        raise ReconcilerError(f"--lease-ttl must be more than 0 and at most {MAX_TTL:g} seconds")
    return Lease(client, ttl=args.lease_ttl, wait=args.lease_wait, on_wait=say, on_warn=warn)


def _same_plan(saved: Plan, derived: Plan, planfile: Path) -> None:
    """The reviewed plan is what runs: exactly the one desired/ and the gateway give now.

    Comparing whole changes (before values included) also catches a gateway that moved in
    anything the plan depends on; changes elsewhere on a shared gateway do not matter.
    """
    if digest_of([c.data for c in saved.changes]) != digest_of([c.data for c in derived.changes]):
        raise StalePlanError(
            f"{planfile} is not the plan desired/ and the gateway give now (the file was "
            "edited or the gateway changed since it was made); nothing was changed; "
            "run plan again"
        )


def _require_ready(client: GatewayClient) -> None:
    """An unready gateway (DB down, starting) may accept some writes and drop others: refuse."""
    ready, detail = check_ready(client, retry=True)
    if not ready:
        raise ReconcilerError(f"refusing to change a gateway that is {detail}; nothing was changed")


def choose_sink(args: argparse.Namespace) -> SecretSink | None:
    if args.secrets_out and args.secrets_cmd:
        raise ReconcilerError("choose one secret sink: --secrets-out or --secrets-cmd")
    if args.secrets_out:
        return FileSink(args.secrets_out)
    if args.secrets_cmd:
        # The admin key never reaches the command, whatever variable holds it.
        return CommandSink(args.secrets_cmd, withhold=(args.admin_key or "",))
    return None


def _require_sink(plan: Plan, sink: SecretSink | None) -> None:
    creates = [c.target for c in plan.changes if kind(c.kind).needs_sink(c)]
    if creates and sink is None:
        raise SecretSinkError(
            f"the plan creates {len(creates)} key(s) ({', '.join(creates)}) and a new key's "
            "secret is shown only once: choose --secrets-out FILE or --secrets-cmd CMD"
        )
    if creates and sink is not None:
        sink.check()  # a file sink that would refuse the secret refuses now, before any key
        for notice in getattr(sink, "notices", ()):
            print(f"note: {notice}", file=sys.stderr)


def load_saved_plan(path: Path) -> Plan:
    return plan_from_data(read_plan_json(path))


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
