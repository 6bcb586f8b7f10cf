"""Usage reports as table, markdown, csv or json; one data view, four interchangeable writers."""

from __future__ import annotations

import csv
import json
import unicodedata
from typing import Any, TextIO

from reconciler.core.masking import safe_text
from reconciler.core.observe.usage import KeyClass, KeyUsage, UsageReport
from reconciler.core.observe.usage_flags import Flag
from reconciler.core.render.markdown import code_span
from reconciler.core.render.usage_team_month import write_team_months

FORMATS = ("table", "json", "csv", "markdown")
_WINDOW_COLUMNS = ("budget_spend", "max_budget", "budget_used")
_COLUMNS = ("name", "kind", "owner", "key", "requests", "failures", "tokens", "spend",
            "budget_spend", "max_budget", "budget_used", "blocked")


# Bumped when a field is removed or changes meaning (schema/outputs/usage.schema.json).
FORMAT_VERSION = 1


def report_data(report: UsageReport, flags: list[Flag]) -> dict[str, Any]:
    total = report.total_spend
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "period": report.period.data,
        "keys": [_key_data(k) for k in report.keys],
        "totals": {"spend": round(total, 10),
                   "requests": sum(k.total.requests for k in report.keys),
                   "tokens": sum(k.total.tokens for k in report.keys),
                   "share": {kind.value: round(report.share(kind), 4) for kind in KeyClass}},
        "flags": [f.data for f in flags],
        "requests_made": report.requests_made,
        # by_model_group counts each request under the group that served it (after any
        # fallback; fell_back_here says how many came from another group); health counts
        # the group asked for.
        "model_group_counted": "served",
    }
    if report.teams:
        data["teams"] = [t.data for t in report.teams]
    if report.gateway_total is not None:
        data["reconciliation"] = reconciliation(report)
    return data


def _key_data(usage: KeyUsage) -> dict[str, Any]:
    share = usage.budget_share
    return {
        "name": usage.name, "kind": usage.kind.value, "owner": usage.owner,
        "key": usage.key_name, "key_sha256": usage.token, "blocked": usage.blocked,
        "period": usage.period.data, **usage.total.data,
        "budget_spend": usage.budget_spend, "max_budget": usage.max_budget,
        "budget_used": None if share is None else round(share, 8),
        "by_model_group": {g: t.data for g, t in sorted(usage.by_group.items())},
        "rotated_keys": usage.rotated_keys,
    }


def reconciliation(report: UsageReport) -> dict[str, Any]:
    """Our sum of the logs against the gateway's own daily sums, with the difference explained."""
    gateway = report.gateway_total
    assert gateway is not None
    ours = report.total_spend
    difference = gateway.spend - ours
    unexplained = difference - gateway.boundary_spend
    reasons = []
    if abs(gateway.boundary_spend) > 1e-12:
        reasons.append(f"{gateway.boundary_spend:.10g} from requests logged exactly at the "
                       "period's end, which the gateway's sum includes and this report "
                       "counts in the next period")
    if abs(unexplained) > 1e-9:
        reasons.append(f"{unexplained:.10g} written between the two reads (the gateway "
                       "writes logs in batches, 10-15 s late); run again to settle it")
    ours_by_key = {token: spend for k in report.keys for token, spend in k.by_key.items()}
    keys = sorted(set(gateway.by_key) | set(ours_by_key))
    differing = {k: {"gateway": gateway.by_key.get(k, 0.0), "report": ours_by_key.get(k, 0.0)}
                 for k in keys if abs(gateway.by_key.get(k, 0.0) - ours_by_key.get(k, 0.0)) > 1e-9}
    data = {"gateway_spend": round(gateway.spend, 10), "report_spend": round(ours, 10),
            "difference": round(difference, 10), "matches": abs(difference) <= 1e-9,
            "explained_by": reasons, "keys_differing": differing}
    if report.team_months:
        data["teams"] = [t.data for t in report.team_months]
    return data


def render_usage(report: UsageReport, flags: list[Flag], out: TextIO, fmt: str) -> None:
    data = report_data(report, flags)
    if fmt == "json":
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        _csv(data, out)
    else:
        _table(data, out, markdown=fmt == "markdown")


def _row(key: dict[str, Any]) -> list[str]:
    used = key["budget_used"]
    rotated = f" +{len(key['rotated_keys'])} rotated" if key["rotated_keys"] else ""
    return [key["name"], key["kind"], key["owner"] or "", key["key"] + rotated,
            str(key["requests"]), str(key["failures"]), str(key["tokens"]), f"{key['spend']:.6g}",
            "" if key["budget_spend"] is None else f"{key['budget_spend']:.6g}",
            "" if key["max_budget"] is None else f"{key['max_budget']:.6g}",
            "" if used is None else percent(used), "yes" if key["blocked"] else ""]


def percent(share: float) -> str:
    """Two decimals; a tiny non-zero share reads "<0.01 %", never a misleading 0."""
    if 0 < share * 100 < 0.01:
        return "<0.01 %"
    return f"{share * 100:.2f} %"


def _csv(data: dict[str, Any], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*_COLUMNS, "model_group", "start", "end"])
    for key in data["keys"]:
        period = key["period"]
        writer.writerow([*_row(key), "", period["start"], period["end"]])
        for group, tally in key["by_model_group"].items():
            writer.writerow([key["name"], key["kind"], "", key["key"], tally["requests"],
                             tally["failures"], tally["tokens"], f"{tally['spend']:.6g}",
                             "", "", "", "", group, period["start"], period["end"]])
    period = data["period"]
    for team in data.get("teams", []):  # its agents' keys summed: their rows again, not more
        used = team["budget_used"]
        writer.writerow([team["name"], "team", "", "", team["requests"], "", "",
                         f"{team['spend']:.6g}", "",
                         "" if team["max_budget"] is None else f"{team['max_budget']:.6g}",
                         "" if used is None else percent(used), "", "", period["start"],
                         period["end"]])


def _table(data: dict[str, Any], out: TextIO, *, markdown: bool) -> None:
    period = data["period"]
    title = f"Usage, {period['label']}: {period['start']} to {period['end']}"
    out.write(f"## {title}\n\n" if markdown else f"{title}\n\n")
    # A month's table shows the month: the budget columns are the current budget window's
    # (LiteLLM's counter), another period, so they are left out (JSON keeps them, labelled).
    month = period["label"].startswith("month ")
    keep = [i for i, c in enumerate(_COLUMNS) if not (month and c in _WINDOW_COLUMNS)]
    rows = [[r[i] for i in keep] for r in (_names(_row(k), (0, 2, 3), markdown)
                                           for k in data["keys"])]
    _grid([_COLUMNS[i] for i in keep], rows, out, markdown)
    if month:
        out.write("\n(budget columns left out: they are the current budget window's; "
                  "`reconciler usage` without --month shows them)\n")
    groups = [_names([k["name"], g, str(t["requests"]), str(t["fell_back_here"]),
                      str(t["failures"]), str(t["tokens"]), f"{t['spend']:.6g}"],
                     (0, 1), markdown)
              for k in data["keys"] for g, t in k["by_model_group"].items()]
    if groups:
        out.write("\nPer model group that served the request (after any fallback; health "
                  "counts the group asked for):\n\n")
        _grid(["name", "model_group", "requests", "fell_back_here", "failures", "tokens",
               "spend"], groups, out, markdown)
    teams = [_names([t["name"], str(t["requests"]), f"{t['spend']:.6g}",
                      "-" if t["max_budget"] is None else f"{t['max_budget']:.6g}",
                      "-" if t["budget_used"] is None else percent(t["budget_used"]),
                      ", ".join(t["agents"]) or "-"], (0, 5), markdown)
             for t in data.get("teams", [])]
    if teams:
        out.write("\nPer team (its agents' keys):\n\n")
        _grid(["team", "requests", "spend", "max_budget", "budget used", "agents"], teams,
              out, markdown)
    totals = data["totals"]
    shares = ", ".join(f"{kind} {percent(value)}"
                       for kind, value in totals["share"].items() if value)
    out.write(f"\nTotal: {totals['spend']:.6g} spend, {totals['requests']} requests, "
              f"{totals['tokens']} tokens" + (f" (share of spend: {shares})" if shares else "")
              + "\n")
    if "reconciliation" in data:
        _write_reconciliation(data["reconciliation"], out)
        write_team_months(data["reconciliation"].get("teams", []), out, markdown)
    _write_flags(data["flags"], out, markdown)
    out.write(f"\n({data['requests_made']} gateway requests; spend logs lag the traffic by "
              "10-15 s)\n")


def _write_reconciliation(rec: dict[str, Any], out: TextIO) -> None:
    state = "matches" if rec["matches"] else f"differs by {rec['difference']:.10g}"
    out.write(f"Gateway's own total {rec['gateway_spend']:.10g}: {state}\n")
    for reason in rec["explained_by"]:
        out.write(f"  - {reason}\n")
    for token, pair in rec["keys_differing"].items():
        out.write(f"  - key {token[:12]}…: gateway {pair['gateway']:.10g}, "
                  f"report {pair['report']:.10g}\n")


def _write_flags(flags: list[dict[str, str]], out: TextIO, markdown: bool) -> None:
    if not flags:
        out.write("\nNo abnormal usage.\n")
        return
    out.write(f"\nABNORMAL USAGE ({len(flags)}):\n")
    for flag in flags:
        bullet = "- " if markdown else "  ! "
        name, reason, stop = (safe_text(flag[f]) for f in ("name", "reason", "stop"))
        if markdown:
            name, reason, stop = (code_span(flag[f]) for f in ("name", "reason", "stop"))
        out.write(f"{bullet}{name} [{flag['kind']}]: {reason}\n"
                  f"{'  ' if markdown else '    '}to stop: {stop}\n")


def _names(row: list[str], columns: tuple[int, ...], markdown: bool) -> list[str]:
    """Names come from the gateway: escaped for a terminal, code spans in markdown (so a name
    cannot add a link, HTML or a column); figures stay as they are."""
    return [(code_span(c) if markdown else safe_text(c)) if i in columns else c
            for i, c in enumerate(row)]


def _grid(header: list[str], rows: list[list[str]], out: TextIO, markdown: bool) -> None:
    if markdown:
        out.write("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n")
        for row in rows:
            out.write("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n")
        return
    widths = [max(_width(h), *(_width(r[i]) for r in rows)) if rows else _width(h)
              for i, h in enumerate(header)]
    for row in [header, *rows]:
        cells = (c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=False))
        out.write("  ".join(cells).rstrip() + "\n")


def _width(text: str) -> int:
    """Terminal columns: CJK agent names (李狗蛋) take two each."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
