"""Fallback routing on both gateways. Fallbacks are gateway-wide, so the test puts back
whatever list the gateway had before it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli, standard_estate, write_desired


def live_fallbacks(gw: Gateway) -> Any:
    return gw.call("GET", "/get/config/callbacks")["router_settings"].get("fallbacks")


@pytest.fixture
def restored_fallbacks(gateway: Gateway) -> Iterator[None]:
    before = live_fallbacks(gateway)
    yield
    gateway.call("POST", "/config/update", json={"router_settings": {"fallbacks": before or []}})


def test_fallbacks_are_planned_applied_and_left_alone_when_undeclared(
    gateway: Gateway, tmp_path: Path, restored_fallbacks: None
) -> None:
    m25, m25l = gateway.name("MiniMax-M2.5"), gateway.name("MiniMax-M2.5-Lightning")
    estate = standard_estate(gateway)
    estate["fallbacks"] = {m25: [m25l]}
    desired = write_desired(tmp_path / "desired", estate)
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert "~ update fallbacks" in plan.out
    assert f'{m25}: null → ["{m25l}"]' in plan.out
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    assert live_fallbacks(gateway) == [{m25: [m25l]}]
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both

    estate["fallbacks"] = {m25l: [m25]}
    write_desired(desired, estate)
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert f'{m25}: ["{m25l}"] → null' in plan.out and f'{m25l}: null → ["{m25}"]' in plan.out
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve").code == 0
    assert live_fallbacks(gateway) == [{m25l: [m25]}]

    del estate["fallbacks"]
    write_desired(desired, estate)
    untouched = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert untouched.code == 0, untouched.both
    assert live_fallbacks(gateway) == [{m25l: [m25]}]
