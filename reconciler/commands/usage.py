"""usage: spend, requests and tokens per agent, abnormal usage flags, monthly reconciliation."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from reconciler.commands.common import EXIT_OK, open_client, write_json
from reconciler.commands.targets import desired_tree
from reconciler.core.engine.live import parse_moment
from reconciler.core.errors import ReconcilerError
from reconciler.core.input.desired import Estate
from reconciler.core.observe.usage import (
    UTC,
    Period,
    UsageReport,
    gateway_daily_total,
    month_period,
    parse_key_facts,
    parse_log_row,
)
from reconciler.core.observe.usage_flags import Thresholds, baseline_data, flag_usage
from reconciler.core.observe.usage_join import budget_window, build_report
from reconciler.core.observe.usage_team_month import team_months
from reconciler.core.render.usage import render_usage
from reconciler.gateway.client import GatewayClient

EXIT_FLAGGED = 3
FRESHNESS = ("Figures come from the gateway's spend logs and key spend counters, which the "
             "proxy writes in batches: traffic shows up 10-15 s after it happened.")


def run_usage(args: argparse.Namespace) -> int:
    tree = desired_tree(args)
    sources, estate = tree.sources, tree.estate
    baseline = _read_baseline(args.baseline) if args.baseline else None
    now = dt.datetime.now(UTC)
    explicit = chosen_period(args, now)  # bad dates stop here, before any gateway call
    with open_client(args) as client:
        report = _read_report(client, estate, explicit, now, month=bool(args.month))
    thresholds = Thresholds(budget_share=args.budget_alert, growth=args.growth)
    try:
        flags = flag_usage(report, thresholds, baseline, agent_files(sources))
    except ValueError as exc:
        raise ReconcilerError(f"{args.baseline}: {exc}") from None
    render_usage(report, flags, sys.stdout, args.format)
    if args.save_baseline:
        write_json(args.save_baseline, baseline_data(report))
        print(f"Saved the baseline to {args.save_baseline}", file=sys.stderr)
    return EXIT_FLAGGED if flags else EXIT_OK


def _read_report(client: GatewayClient, estate: Estate, explicit: Period | None,
                 now: dt.datetime, *, month: bool) -> UsageReport:
    key_rows = client.list_keys()
    period = explicit or budget_window(estate, map(parse_key_facts, key_rows), now)
    logs = client.spend_logs(_stamp(period.start), _stamp(period.end))
    report = build_report(estate, key_rows, logs, period, own_windows=explicit is None)
    if month:
        summary = client.spend_by_day(period.start.date().isoformat(),
                                      period.end.date().isoformat())
        boundary = sum(float(r.get("spend") or 0.0) for r in logs
                       if parse_moment(r.get("startTime")) == period.end)
        report.gateway_total = gateway_daily_total(summary, boundary)
        if estate.teams:
            rows = filter(None, map(parse_log_row, logs))
            report.team_months = team_months(estate, report, rows, client.list_teams(), now)
    report.requests_made = client.request_count
    return report


def chosen_period(args: argparse.Namespace, now: dt.datetime) -> Period | None:
    if args.month:
        if args.since or args.until:
            raise ReconcilerError("--month gives the whole period: leave out --since/--until")
        try:
            return month_period(args.month)
        except ValueError as exc:
            raise ReconcilerError(str(exc)) from None
    if not args.since and not args.until:
        return None
    end = _moment(args.until, "--until", end_of_day=True) if args.until else now
    start = _moment(args.since, "--since") if args.since else end - dt.timedelta(days=30)
    if start >= end:
        raise ReconcilerError(f"--since ({args.since}) must be before --until ({end:%Y-%m-%d})")
    return Period(start, end, "chosen period")


def _moment(text: str, flag: str, *, end_of_day: bool = False) -> dt.datetime:
    """A date (a whole day: --until includes it) or a date and time, UTC."""
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + dt.timedelta(days=1) if end_of_day else day
    except ValueError:
        pass
    moment = parse_moment(text)
    if moment is None:
        raise ReconcilerError(f"{flag} wants YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], not {text!r}")
    return moment.astimezone(UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def agent_files(sources: list[Any]) -> dict[str, str]:
    """Which desired/ file declares each agent: the flag's stop step names it."""
    files: dict[str, str] = {}
    for source in sources:
        try:
            data = yaml.safe_load(source.text) or {}
        except yaml.YAMLError:
            continue  # load_estate already accepted it; never fail a report on this
        for entry in data.get("agents") or [] if isinstance(data, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                files.setdefault(entry["name"], source.name)
    return files


def _read_baseline(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        print(f"note: no baseline at {path} yet; growth is not checked this time",
              file=sys.stderr)
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReconcilerError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ReconcilerError(f"{path}: not a usage baseline")
    return data


def add_usage_parser(sub: Any, desired_flag: Any, gateway_flags: Any) -> None:
    usage = sub.add_parser(
        "usage", help="spend, requests and tokens per agent; flags abnormal usage (exit 3)",
        description="Spend, requests and tokens per agent of desired/, per model group, "
        "against its budget. " + FRESHNESS
        + " Exit 0: nothing abnormal; 1: error; 3: abnormal usage flagged.")
    desired_flag(usage)
    gateway_flags(usage)
    usage.add_argument("--since", help="start (YYYY-MM-DD or date and time, UTC); default: "
                       "each agent's current budget window")
    usage.add_argument("--until", help="end (a date is included whole); default: now")
    usage.add_argument("--month", help="a calendar month, YYYY-MM, checked against the "
                       "gateway's own total")
    usage.add_argument("--format", choices=["table", "json", "csv", "markdown"], default="table",
                       help="json: schema/outputs/usage.schema.json")
    usage.add_argument("--baseline", type=Path, help="previous report's baseline: flag growth")
    usage.add_argument("--save-baseline", type=Path, help="write this report as the baseline")
    usage.add_argument("--budget-alert", type=float, default=0.8,
                       help="flag an agent at this share of its budget (default %(default)s)")
    usage.add_argument("--growth", type=float, default=3.0,
                       help="flag a spend or request rate this many times the baseline's "
                       "(default %(default)s)")
