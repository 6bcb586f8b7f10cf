"""Router settings beyond fallbacks (`routing:`) on both gateways: only the fields declared are
owned and written; the rest of router_settings stays as it was. Router settings are
gateway-wide, so the test puts back what the gateway had before it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli, standard_estate, write_desired

OWNED = ("num_retries", "timeout", "retry_policy", "allowed_fails", "cooldown_time",
         "routing_strategy", "context_window_fallbacks", "model_group_alias")


def router_settings(gw: Gateway) -> dict[str, Any]:
    return dict(gw.call("GET", "/get/config/callbacks")["router_settings"])


@pytest.fixture
def restored(gateway: Gateway) -> Iterator[dict[str, Any]]:
    before = router_settings(gateway)
    yield before
    gateway.call("POST", "/config/update", json={"router_settings": {
        **{k: before.get(k) for k in OWNED if before.get(k) is not None},
        "context_window_fallbacks": before.get("context_window_fallbacks") or [],
        "model_group_alias": before.get("model_group_alias") or {}, "retry_policy": {}}})


def test_declared_router_settings_are_owned_and_the_rest_left_alone(
    gateway: Gateway, tmp_path: Path, restored: dict[str, Any]
) -> None:
    gw = gateway
    m25, m25l = gw.name("MiniMax-M2.5"), gw.name("MiniMax-M2.5-Lightning")
    estate = standard_estate(gw)
    estate["routing"] = {"num_retries": 4, "timeout": 30, "cooldown_time": 9,
                         "retry_policy": {"RateLimitErrorRetries": 5},
                         "context_window_fallbacks": {m25: [m25l]},
                         "model_group_alias": {gw.name("fast"): m25}}
    desired = write_desired(tmp_path / "desired", estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert "~ update router_settings" in plan.out and "num_retries: " in plan.out
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    live = router_settings(gw)
    assert (live["num_retries"], live["timeout"], live["cooldown_time"]) == (4, 30, 9)
    assert live["retry_policy"]["RateLimitErrorRetries"] == 5
    assert live["context_window_fallbacks"] == [{m25: [m25l]}]
    # What desired/ does not declare is as it was.
    assert live["allowed_fails"] == restored["allowed_fails"]
    assert live["routing_strategy"] == restored["routing_strategy"]
    again = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both  # an alias row in /model/info is not a model change
    rows = gw.call("GET", "/model/info")["data"]
    alias_ids = [r["model_info"]["id"] for r in rows if r["model_name"] == gw.name("fast")]
    assert alias_ids == [r["model_info"]["id"] for r in rows if r["model_name"] == m25]

    estate["routing"]["num_retries"] = 6
    write_desired(desired, estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert "      num_retries: 4 → 6" in plan.out.splitlines()
    assert run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve").code == 0
    assert router_settings(gw)["num_retries"] == 6


def test_content_policy_fallbacks_are_refused_offline(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    m25 = gateway.name("MiniMax-M2.5")
    estate["routing"] = {"content_policy_fallbacks": {m25: [m25]}}
    write_desired(tmp_path / "desired", estate)
    refused = run_cli(gateway, tmp_path, "validate", "--desired", "desired")
    assert refused.code == 1
    assert "routing.content_policy_fallbacks: LiteLLM 1.108.7 takes content_policy_fallbacks " \
        "but never shows them" in refused.out + refused.err
