"""Abnormal usage: which flags fire, which do not, and the step each one names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reconciler.core.observe.usage import UTC, Period
from reconciler.core.observe.usage_flags import Flag, Thresholds, baseline_data, flag_usage
from reconciler.core.observe.usage_join import build_report
from tests.unit.builders import MARKER, key_row
from tests.unit.test_usage import DAY, ESTATE, keys, log

FILES = {"bob": "desired/agents/bob.yaml", "eve": "desired/agents/eve.yaml"}


def flags_for(logs: list[dict[str, Any]], rows: list[dict[str, Any]] | None = None, *,
              baseline: dict[str, Any] | None = None, **limits: Any) -> dict[Any, Flag]:
    report = build_report(ESTATE, rows or keys(), logs, DAY)
    found = flag_usage(report, Thresholds(**limits), baseline, FILES)
    return {(f.name, f.kind): f for f in found}


def test_quiet_usage_raises_no_flag() -> None:
    rows = keys()
    rows[0]["spend"] = 0.1
    assert flags_for([log(rows[0]["token"], spend=0.1)], rows) == {}


def test_budget_share_flags_with_the_yaml_step_that_stops_it() -> None:
    flags = flags_for([])  # bob's key spend counter is at 0.9 of 1
    flag = flags[("bob", "budget")]
    assert flag.reason == "spent 90 % of its budget (0.9 of 1); the alert is at 80 %"
    assert flag.stop == ("set `blocked: true` for agent bob in desired/agents/bob.yaml, "
                         "then `reconciler apply`")
    assert ("bob", "budget") not in flags_for([], budget_share=0.95)


def test_blocked_unknown_and_unowned_traffic() -> None:
    rows = keys()
    tokens = {r["key_alias"]: r["token"] for r in rows}
    flags = flags_for([
        log(tokens["eve"], status="failure", error="Key is blocked. Update via `/key/unblock`"),
        log("e" * 64, status="failure", error="Authentication Error, Invalid API key provided."),
        log(tokens["old-agent"]),
    ], rows)
    # eve is blocked on purpose (desired/ says blocked: true): refusals are the block working.
    assert ("eve", "blocked-key") not in flags
    assert flags[("eeeeeeeeeeee…", "unknown-key")].reason.startswith("1 request(s) with a key")
    assert "its agent left desired/" in flags[("old-agent", "unowned-key")].stop
    assert not [k for k in flags if k[1] == "blocked-key"]


def test_refused_calls_on_a_key_blocked_outside_desired_are_flagged() -> None:
    """bob's key is blocked (by hand, or reconciler block) while desired/ says it is not."""
    rows = keys()
    bob = next(r for r in rows if r["key_alias"] == "bob")
    bob["blocked"] = True
    flags = flags_for([log(bob["token"], status="failure",
                           error="Authentication Error, Key is blocked.")] * 3, rows)
    assert flags[("bob", "blocked-key")].reason == "3 request(s) on a blocked key"
    assert "set `blocked: true` for agent bob in desired/agents/bob.yaml" in \
        flags[("bob", "blocked-key")].stop


def test_calls_the_gateway_refuses_for_budget_are_flagged_with_their_step() -> None:
    rows = keys()
    bob = next(r for r in rows if r["key_alias"] == "bob")
    bob["spend"], bob["max_budget"] = 0.5, 1.0  # the counter lags: under the 80 % alert
    flags = flags_for([
        log(bob["token"], spend=0.5),
        log(bob["token"], status="failure",
            error="Budget has been exceeded! Key=abc Current cost: 1.2, Max budget: 1.0"),
    ], rows)
    flag = flags[("bob", "budget-exceeded")]
    assert flag.reason == ("1 request(s) refused by the gateway: its budget is spent "
                           "(0.5 of 1)")
    assert flag.stop.startswith("the gateway refuses it until its budget window resets")
    assert "raise max_budget for agent bob in desired/agents/bob.yaml" in flag.stop
    assert ("bob", "budget") not in flags


def test_an_unmanaged_key_is_never_changed_by_the_tool_only_named() -> None:
    rows = [key_row("legacy", metadata={"owner": "ops"}, blocked=False)]
    flags = flags_for([log(rows[0]["token"], status="failure", error="Key is blocked.")], rows)
    assert "not managed by reconciler: block it by hand" in flags[("legacy", "blocked-key")].stop


def _baseline(spend_per_hour: float, requests_per_hour: float) -> dict[str, Any]:
    return {"format": "reconciler-usage-baseline/1",
            "agents": {"bob": {"spend_per_hour": spend_per_hour,
                               "requests_per_hour": requests_per_hour}}}


def test_growth_against_the_baseline() -> None:
    rows = keys()
    rows[0]["spend"] = 0.0
    token = rows[0]["token"]
    logs = [log(token, spend=0.01) for _ in range(24)]  # 24 requests, 0.24 spend in a day
    report = build_report(ESTATE, rows, logs, DAY)
    reasons = [f.reason for f in flag_usage(report, Thresholds(), _baseline(0.001, 0.25))]
    assert reasons == [
        "spend rate 0.01/h is 10.0x the baseline's 0.001/h (alert above 3x)",
        "requests rate 1 req/h is 4.0x the baseline's 0.25 req/h (alert above 3x)"]
    assert flags_for(logs, rows, baseline=_baseline(0.005, 0.5)) == {}  # 2x: under 3x
    assert flags_for(logs[:4], rows, baseline=_baseline(0.00001, 0.01)) == {}  # too few requests


def test_baseline_roundtrip_and_a_foreign_file() -> None:
    rows = keys()
    rows[0]["spend"] = 0.0
    report = build_report(ESTATE, rows, [log(rows[0]["token"], spend=0.24)] * 6, DAY)
    saved = baseline_data(report)
    assert saved["agents"]["bob"]["spend_per_hour"] == pytest.approx(0.06)
    assert flag_usage(report, Thresholds(), saved) == []  # the same usage is not growth
    with pytest.raises(ValueError, match="not a usage baseline"):
        flag_usage(report, Thresholds(), {"agents": {}})


def test_a_short_period_does_not_divide_by_zero() -> None:
    now = dt.datetime(2026, 11, 25, tzinfo=UTC)
    report = build_report(ESTATE, [key_row("bob", metadata=MARKER)], [], Period(now, now, "x"))
    assert baseline_data(report)["agents"]["bob"]["spend_per_hour"] == 0.0


def test_an_agent_still_calling_with_its_rotated_out_key_is_told_to_switch() -> None:
    record = {"agent": "bob", "serial": 0, "next": 1, "grace": "1d"}
    old = key_row("bob#rotation-0", blocked=True,
                  metadata={**MARKER, "agent": "bob", "reconciler_rotated": record})
    rows = [key_row("bob", metadata=MARKER, max_budget=1.0), old]
    refused = log(old["token"], status="failure", spend=0.0,
                  error="Authentication Error, Key is blocked.")
    report = build_report(ESTATE, rows, [refused, refused], DAY)
    flags = [f for f in flag_usage(report, Thresholds()) if f.name == "bob"]
    assert [(f.kind, f.reason) for f in flags] == [
        ("rotated-key", "2 refused request(s) on a rotated-out key (blocked or expired)")]
    assert "new key from the secrets sink" in flags[0].stop
