"""usage and health on both gateways, with real priced traffic made through the agents' keys.

The deployments point at tests/upstream.py: `good` answers, `busy` answers 529 and falls back to
`good`. Prices are set through the admin API (desired/ refuses pricing params today), and the
model names are listed as config_models so desired/ accepts the agents. One scenario per
gateway, so the real proxy's 10-15 s spend-log delay is waited for once, with a bounded poll.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, agent, read_secrets, run_cli, write_desired
from tests.upstream import FakeUpstream

PRICE = {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}
COST = 12 * 1e-06 + 30 * 2e-06  # one reply of the fake upstream: 12 + 30 tokens
SETTLE_SECONDS = 90
# The real proxy reserves a request's estimated cost against the budget before sending it, so a
# tiny max_budget refuses the second request (422 budget_exceeded); the alert threshold is
# lowered instead: 12 requests are 0.086 % of a budget of 1, 2 requests 0.014 %.
ALERT = "0.0005"


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def restored_fallbacks(gateway: Gateway) -> Iterator[None]:
    before = gateway.call("GET", "/get/config/callbacks")["router_settings"].get("fallbacks")
    yield
    gateway.call("POST", "/config/update", json={"router_settings": {"fallbacks": before or []}})


def _deploy(gw: Gateway, upstream: FakeUpstream) -> tuple[str, str]:
    good, busy = gw.name("Good"), gw.name("Busy")
    for model_id, name, base in (("good", good, upstream.ok_base),
                                 ("busy", busy, upstream.overloaded_base)):
        gw.call("POST", "/model/new", json={
            "model_name": name, "model_info": {"id": gw.name(model_id)},
            "litellm_params": {"model": "openai/fake", "api_base": base,
                               "api_key": "fake-upstream-key", **PRICE}})
    return good, busy


def _estate(gw: Gateway, good: str, busy: str, *, runaway_blocked: bool = False) -> dict[str, Any]:
    return {
        "settings": {"scope": gw.prefix},
        "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [good, busy],
        "fallbacks": {busy: [good]},
        "agents": [
            agent(gw, "runaway", ["Good", "Busy"], max_budget=1, budget_duration="30d",
                  blocked=runaway_blocked),
            agent(gw, "calm", ["Good"], max_budget=1),
        ],
    }


def _chat(gw: Gateway, raw_key: str, model: str, times: int) -> list[int]:
    with httpx.Client(base_url=gw.base_url, timeout=120,
                      headers={"Authorization": f"Bearer {raw_key}"}) as http:
        codes = []
        for _ in range(times):
            reply = http.post("/chat/completions", json={
                "model": model, "messages": [{"role": "user", "content": "ping"}]})
            codes.append(reply.status_code)
        return codes


def _reapply(gw: Gateway, cwd: Path) -> None:
    """Fallbacks are gateway-wide: a suite sharing the real proxy may have replaced ours."""
    result = run_cli(gw, cwd, "apply", "--desired", "desired", "--auto-approve")
    assert result.code == 0, result.both


def _fallen_back(gw: Gateway, cwd: Path, raw_key: str, busy: str) -> list[int]:
    """Two requests to the 529 group served through the fallback; a 529 that got through
    (our fallbacks replaced meanwhile) is one more failed request, counted like the others."""
    codes: list[int] = []
    while codes.count(200) < 2 and len(codes) < 6:
        _reapply(gw, cwd)
        codes += _chat(gw, raw_key, busy, 1)
    assert codes.count(200) == 2 and set(codes) <= {200, 529}, codes
    return codes


def _usage(gw: Gateway, cwd: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    result = run_cli(gw, cwd, "usage", "--desired", "desired", "--format", "json",
                     "--budget-alert", ALERT, *args)
    assert result.code in (0, 3), result.both
    return result, json.loads(result.out)


def _mine(data: dict[str, Any], gw: Gateway) -> dict[str, dict[str, Any]]:
    return {k["name"]: k for k in data["keys"] if k["name"].startswith(gw.prefix)}


def _settled(gw: Gateway, cwd: Path, want: dict[str, int]) -> tuple[Result, dict[str, Any]]:
    """Poll (bounded) until the gateway has written every request and the key spend counters."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result, data = _usage(gw, cwd)
        mine = _mine(data, gw)
        done = all(n in mine and mine[n]["requests"] == count
                   and mine[n]["budget_spend"] == pytest.approx(mine[n]["spend"], rel=1e-6)
                   for n, count in want.items())
        if done or time.monotonic() > deadline:
            return result, data
        time.sleep(3)


def test_usage_flags_and_health_on_real_traffic(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream, restored_fallbacks: None
) -> None:
    gw = gateway
    good, busy = _deploy(gw, upstream)
    desired = write_desired(tmp_path / "desired", _estate(gw, good, busy))
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    keys = {s["agent"]: s["key"] for s in read_secrets(tmp_path / "s.jsonl")}
    runaway, calm = gw.name("runaway"), gw.name("calm")

    assert _chat(gw, keys[runaway], good, 10) == [200] * 10
    busy_codes = _fallen_back(gw, tmp_path, keys[runaway], busy)
    assert _chat(gw, keys[calm], good, 2) == [200] * 2
    sent = 10 + len(busy_codes)
    result, data = _settled(gw, tmp_path, {runaway: sent, calm: 2})

    # What the tests spent, per agent, joined to desired/.
    mine = _mine(data, gw)
    assert mine[runaway]["requests"] == sent and mine[calm]["requests"] == 2
    assert mine[runaway]["failures"] == sent - 12
    assert mine[runaway]["spend"] == pytest.approx(12 * COST, rel=1e-9)
    assert mine[calm]["spend"] == pytest.approx(2 * COST, rel=1e-9)
    assert mine[runaway]["tokens"] == 12 * 42 and mine[runaway]["owner"] == "sileya"
    assert mine[runaway]["by_model_group"][good]["requests"] == 12
    assert mine[runaway]["budget_used"] == pytest.approx(12 * COST, abs=1e-4)

    # The runaway agent is flagged with the exact step that stops it; the calm one is not.
    assert result.code == 3
    flags = {(f["name"], f["kind"]): f for f in data["flags"]}
    stop = flags[(runaway, "budget")]["stop"]
    assert "blocked: true" in stop and f"{runaway}.yaml" in stop
    assert not [f for f in data["flags"] if f["name"] == calm]
    table = run_cli(gw, tmp_path, "usage", "--desired", "desired", "--budget-alert", ALERT)
    assert table.code == 3 and f"{runaway} [budget]" in table.out

    # The calendar month, checked against the gateway's own total.
    month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
    _, monthly = _usage(gw, tmp_path, "--month", month)
    assert _mine(monthly, gw)[runaway]["spend"] == pytest.approx(12 * COST, rel=1e-9)
    rec = monthly["reconciliation"]
    assert rec["gateway_spend"] >= 14 * COST - 1e-12
    mine_tokens = {k["key_sha256"] for k in _mine(monthly, gw).values()}
    assert not mine_tokens & set(rec["keys_differing"])
    if gw.kind == "sandbox":
        assert rec["matches"] and rec["difference"] == 0

    # Health: the 529 scene shows, and the gateway serves what the agents need.
    _reapply(gw, tmp_path)
    health = run_cli(gw, tmp_path, "health", "--desired", "desired", "--format", "json")
    assert health.code == 0, health.both
    report = json.loads(health.out)
    assert report["fallback_activity"][busy] == {
        "requests": len(busy_codes), "fell_back": 2, "to": {good: 2},
        "failed": len(busy_codes) - 2, "refused": 0}
    assert {c["name"]: c["level"] for c in report["checks"]}["fallbacks"] == "ok"

    # Stop the runaway agent the way the flag says: desired/ + apply.
    write_desired(desired, _estate(gw, good, busy, runaway_blocked=True))
    blocked = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert blocked.code == 0, blocked.both
    assert _chat(gw, keys[runaway], good, 1) == [401]
    assert _chat(gw, keys[calm], good, 1) == [200]

    # A model an agent needs loses its last deployment: unhealthy, non-zero exit.
    gw.call("POST", "/model/delete", json={"id": gw.name("busy")})
    sick = run_cli(gw, tmp_path, "health", "--desired", "desired")
    assert sick.code == 3, sick.both
    assert f"[FAIL] model {busy}: NO deployment serves it; agents {runaway}" in sick.out
