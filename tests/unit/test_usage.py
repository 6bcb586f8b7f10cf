"""The usage report: joining spend-log rows (as the real proxy writes them) to desired/."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.observe.usage import (
    UTC,
    KeyClass,
    Period,
    gateway_daily_total,
    month_period,
    parse_key_facts,
    parse_log_row,
)
from reconciler.core.observe.usage_join import budget_window, build_report
from reconciler.core.render.usage import reconciliation, render_usage, report_data
from tests.unit.builders import MARKER, estate, key_row

RECORDED = Path(__file__).parent.parent / "recorded"
DAY = Period(dt.datetime(2026, 11, 25, tzinfo=UTC), dt.datetime(2026, 11, 26, tzinfo=UTC), "day")
ESTATE = estate("""
config_models: [M]
pinned: [{alias: sileya}]
agents:
  - {name: bob, owner: sileya, models: [M], max_budget: 1}
  - {name: eve, owner: ops, models: [M], max_budget: 2, blocked: true}
""")


def recorded(name: str) -> Any:
    return json.loads(next(RECORDED.glob(f"*_{name}.json")).read_text(encoding="utf-8"))


def real_rows() -> list[dict[str, Any]]:
    return list(recorded("spend_logs_v2_key")["response"]["data"])


def log(token: str, *, spend: float = 0.5, group: str = "M", at: str = "2026-11-25T10:00:00",
        status: str = "success", error: str = "") -> dict[str, Any]:
    """A spend log row built from a real one, with the fields under test replaced."""
    row = copy.deepcopy(real_rows()[0])
    row.update(api_key=token, spend=spend, model_group=group, status=status,
               startTime=at + ".000+00:00")
    row["metadata"].update(original_model_group=group, attempted_fallbacks=0,
                           error_information={"error_message": error} if error else None)
    return row


def keys() -> list[dict[str, Any]]:
    return [key_row("bob", metadata=MARKER, max_budget=1.0, spend=0.9),
            key_row("eve", metadata=MARKER, blocked=True, max_budget=2.0),
            key_row("old-agent", metadata=MARKER),
            key_row("sileya", metadata={"owner": "sileya"}),
            key_row("legacy", metadata={"owner": "ops"})]


def test_real_rows_parse_with_the_fallback_trail() -> None:
    rows = [parse_log_row(r) for r in real_rows()]
    fell_back = [r for r in rows if r and r.fallbacks]
    assert len(rows) == 3 and len(fell_back) == 1
    assert fell_back[0].asked_group.endswith("-busy") and fell_back[0].model_group.endswith("-good")
    assert sum(r.spend for r in rows if r) == pytest.approx(3 * 7.2e-05)
    assert all(r and r.ok and r.prompt_tokens == 12 and r.completion_tokens == 30 for r in rows)


def test_every_key_with_traffic_lands_in_one_class() -> None:
    rows = keys()
    tokens = {r["key_alias"]: r["token"] for r in rows}
    logs = [log(tokens[name]) for name in ("bob", "bob", "old-agent", "sileya", "legacy")]
    logs.append(log("f" * 64, spend=0.25))
    report = build_report(ESTATE, rows, logs, DAY)
    kinds = {u.name: u.kind for u in report.keys}
    assert kinds["bob"] is KeyClass.AGENT and kinds["eve"] is KeyClass.AGENT
    assert kinds["old-agent"] is KeyClass.ORPHAN and kinds["sileya"] is KeyClass.PINNED
    assert kinds["legacy"] is KeyClass.UNMANAGED and kinds["ffffffffffff…"] is KeyClass.UNKNOWN
    bob = next(u for u in report.keys if u.name == "bob")
    assert (bob.total.requests, bob.total.spend, bob.budget_share) == (2, 1.0, 0.9)
    assert report.total_spend == pytest.approx(2.75)
    assert report.share(KeyClass.AGENT) == pytest.approx(1.0 / 2.75)
    assert report.share(KeyClass.UNKNOWN) == pytest.approx(0.25 / 2.75)


def test_rows_outside_the_period_and_without_a_key_are_left_out() -> None:
    token = keys()[0]["token"]
    logs = [log(token, at="2026-11-24T23:59:59"), log(token, at="2026-11-26T00:00:00"),
            log(token), log("", status="failure")]
    report = build_report(ESTATE, keys(), logs, DAY)
    assert [(u.name, u.total.requests) for u in report.keys] == [("bob", 1), ("eve", 0)]


def test_default_period_is_each_agents_budget_window() -> None:
    rows = keys()
    rows[0].update(budget_duration="30d", budget_reset_at="2026-12-10T00:00:00+00:00",
                   created_at="2026-11-01T00:00:00Z")
    rows[1].update(created_at="2026-11-20T00:00:00Z")
    now = dt.datetime(2026, 11, 25, 12, tzinfo=UTC)
    period = budget_window(ESTATE, map(parse_key_facts, rows), now)
    assert period.start == dt.datetime(2026, 11, 10, tzinfo=UTC) and period.end == now
    before_window = log(rows[1]["token"], at="2026-11-15T00:00:00")
    report = build_report(ESTATE, rows, [before_window], period, own_windows=True)
    eve = next(u for u in report.keys if u.name == "eve")
    assert eve.period.start == dt.datetime(2026, 11, 20, tzinfo=UTC)
    assert eve.total.requests == 0  # before eve's own window: not counted against it


def test_a_first_budget_window_starts_at_the_keys_creation() -> None:
    """The real proxy resets a 30d budget on the 1st of the next month (recorded key list)."""
    row = recorded("key_list_after_traffic")["response"]["keys"][0]
    assert row["budget_duration"] == "30d" and row["budget_reset_at"].startswith("2026-12-01")
    assert parse_key_facts(row).window_start == dt.datetime.fromisoformat(
        row["created_at"].replace("Z", "+00:00"))


def test_month_period_and_bad_month() -> None:
    october = month_period("2026-10")
    assert (october.start.isoformat(), october.end.isoformat()) == (
        "2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00")
    assert month_period("2026-12").end.year == 2027
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_period("2026-13")


def test_reconciliation_against_the_gateways_own_daily_sums() -> None:
    summary = recorded("spend_logs_summary")["response"]
    total = gateway_daily_total(summary)
    token = next(k for k in summary[0] if len(k) == 64)
    assert total.spend == pytest.approx(3 * 7.2e-05) and set(total.by_key) == {token}
    report = build_report(ESTATE, keys(), real_rows(), Period(
        dt.datetime(2026, 11, 25, tzinfo=UTC), dt.datetime(2026, 11, 27, tzinfo=UTC), "m"))
    report.gateway_total = total
    assert reconciliation(report)["matches"] is True
    report.gateway_total = gateway_daily_total([*summary, {"spend": 0.5, token: 0.5}], 0.125)
    rec = reconciliation(report)
    assert rec["matches"] is False and rec["difference"] == pytest.approx(0.5)
    assert "0.125 from requests logged exactly at the period's end" in rec["explained_by"][0]
    assert rec["explained_by"][1].startswith("0.375 written between the two reads")
    assert rec["keys_differing"][token]["gateway"] == pytest.approx(0.5 + 3 * 7.2e-05)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_every_format_names_the_agents_and_the_figures(fmt: str) -> None:
    rows = keys()
    report = build_report(ESTATE, rows, [log(rows[0]["token"], group="M-fast")], DAY)
    out = io.StringIO()
    render_usage(report, [], out, fmt)
    text = out.getvalue()
    assert "bob" in text and "M-fast" in text and "eve" in text
    if fmt == "csv":
        assert text.splitlines()[0].startswith("name,kind,owner,key,requests,failures,tokens")
    if fmt == "json":
        data = json.loads(text)
        assert data["keys"][0]["by_model_group"]["M-fast"]["requests"] == 1
        assert data["totals"]["share"]["agent"] == 1.0
    if fmt == "markdown":
        assert "| name | kind |" in text
    if fmt == "table":
        assert "90.00 %" in text and "No abnormal usage." in text


def rotated_row(agent: str, serial: int, **extra: Any) -> dict[str, Any]:
    record = {"agent": agent, "serial": serial, "next": serial + 1, "grace": "1d"}
    return key_row(f"{agent}#rotation-{serial}",
                   metadata={**MARKER, "agent": agent, "reconciler_rotated": record}, **extra)


def test_a_rotated_out_keys_traffic_counts_for_its_agent() -> None:
    old = rotated_row("bob", 0, spend=0.4)
    rows = [*keys(), old]
    rows[0]["created_at"] = "2026-11-25T09:00:00Z"  # bob's successor key, made by the rotation
    bob = next(r["token"] for r in rows if r["key_alias"] == "bob")
    logs = [log(old["token"], spend=0.25, at="2026-11-25T08:00:00"),  # before: carried over
            log(old["token"], spend=0.25), log(bob, spend=0.5)]
    report = build_report(ESTATE, rows, logs, DAY)
    [row] = [u for u in report.keys if u.name == "bob"]
    assert row.kind is KeyClass.AGENT and row.token == bob
    assert row.total.requests == 3 and row.total.spend == pytest.approx(1.0)
    assert row.rotated_keys == [old["key_name"]]
    # The current key's counter (0.9, it started from the old key's spend) plus what the old
    # key spent in its grace period after the successor took over: 0.25.
    assert row.budget_spend == pytest.approx(1.15)
    assert not report.of(KeyClass.ORPHAN)
    assert row.by_key == {old["token"]: 0.5, bob: 0.5}  # the month check compares per key


def test_before_its_successor_exists_the_rotated_out_key_stands_for_the_agent() -> None:
    old = rotated_row("bob", 0)
    rows = [r for r in keys() if r["key_alias"] != "bob"] + [old]
    report = build_report(ESTATE, rows, [log(old["token"])], DAY)
    [row] = [u for u in report.keys if u.name == "bob"]
    assert row.kind is KeyClass.AGENT and row.total.requests == 1 and row.owner == "sileya"


def test_a_rotated_out_key_of_a_removed_agent_is_an_orphan() -> None:
    old = rotated_row("gone", 0)
    report = build_report(ESTATE, [*keys(), old], [log(old["token"])], DAY)
    assert [u.name for u in report.of(KeyClass.ORPHAN)] == ["gone#rotation-0"]


def test_the_budget_window_opens_with_the_rotated_out_key() -> None:
    old = rotated_row("bob", 0, created_at="2026-11-20T00:00:00Z")
    rows = [key_row("bob", metadata=MARKER, created_at="2026-11-25T09:00:00Z"), old]
    now = dt.datetime(2026, 11, 25, 12, tzinfo=UTC)
    facts = [parse_key_facts(r) for r in rows]
    assert budget_window(ESTATE, facts, now).start == dt.datetime(2026, 11, 20, tzinfo=UTC)
    early = log(old["token"], at="2026-11-22T10:00:00")
    week = Period(dt.datetime(2026, 11, 19, tzinfo=UTC), now, "week")
    report = build_report(ESTATE, rows, [early], week, own_windows=True)
    [bob] = [u for u in report.keys if u.name == "bob"]
    assert bob.total.requests == 1  # before the successor existed, still inside the window


def test_tokens_of_failed_requests_are_not_counted_as_served() -> None:
    rows = keys()
    bob = rows[0]["token"]
    failed = log(bob, spend=0.0, status="failure", error="litellm.APIError: 529 overloaded")
    failed["prompt_tokens"], failed["completion_tokens"] = 12, 0
    report = build_report(ESTATE, rows, [log(bob), failed], DAY)
    [row] = [u for u in report.keys if u.name == "bob"]
    assert row.total.requests == 2 and row.total.failures == 1
    served = build_report(ESTATE, rows, [log(bob)], DAY).keys[0].total
    assert row.total.tokens == served.tokens


def test_usage_says_it_counts_the_group_that_served_and_the_month_table_no_window() -> None:
    rows = keys()
    fell = log(rows[0]["token"], group="Good")
    fell["metadata"] = {**fell["metadata"], "original_model_group": "Busy",
                        "attempted_fallbacks": 1}
    report = build_report(ESTATE, rows, [fell], DAY)
    data = report_data(report, [])
    assert data["model_group_counted"] == "served"
    bob = next(k for k in data["keys"] if k["name"] == "bob")
    assert bob["by_model_group"]["Good"]["fell_back_here"] == 1
    out = io.StringIO()
    render_usage(report, [], out, "table")
    assert "Per model group that served the request (after any fallback" in out.getvalue()
    assert "budget_used" in out.getvalue()
    month = build_report(ESTATE, rows, [fell], month_period("2026-11"))
    out = io.StringIO()
    render_usage(month, [], out, "table")
    header = out.getvalue().splitlines()[2]
    assert "budget_used" not in header and "max_budget" not in header and "spend" in header
    assert "budget columns left out" in out.getvalue()
