"""apply refuses an unready gateway; health says why; both on the sandbox and the real proxy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli


def test_apply_refuses_an_unready_gateway_and_health_fails(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("GET", "/health/readiness", status=503, times=100)  # down, not busy
        refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                          "--secrets-out", "s.jsonl", base_url=proxy.base_url)
        health = run_cli(gateway, tmp_path, "health", "--desired", "desired",
                         base_url=proxy.base_url)
    assert refused.code == 1
    *waits, last = refused.err.strip().splitlines()
    assert last == ("error: refusing to change a gateway that is not ready: "
                    "Injected fault (HTTP 503); nothing was changed")
    # The readiness read is retried, and each wait is said (issue 19, item 11).
    assert waits and all(w.startswith("retrying (") for w in waits)
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}
    assert not (tmp_path / "s.jsonl").exists()
    assert health.code == 3
    assert "Gateway health: UNHEALTHY" in health.out
    assert "[FAIL] readiness: not ready: Injected fault (HTTP 503)" in health.out
    # Once ready again, the same apply goes through.
    applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both


def test_health_and_usage_with_a_wrong_admin_key(gateway: Gateway, desired: Path,
                                                 tmp_path: Path) -> None:
    for command in ("health", "usage"):
        result = run_cli(gateway, tmp_path, command, "--desired", "desired",
                         admin_key="sk-wrong-admin-key-000")
        assert result.code == 1, result.both
        assert result.err.count("\n") == 1 and "answered 401" in result.err
        assert "sk-wrong-admin-key-000" not in result.both


@pytest.mark.parametrize("status", [429, 503, 529])
def test_one_busy_readiness_answer_is_retried_by_apply(
    gateway: Gateway, desired: Path, tmp_path: Path, status: int
) -> None:
    # Issue case 7: a single 429/503/529 is retried like on every other call, not an outage.
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("GET", "/health/readiness", status=status, times=1)
        applied = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                          "--secrets-out", "s.jsonl", base_url=proxy.base_url)
    assert applied.code == 0, applied.both
    assert {gateway.name("李狗蛋"), gateway.name("妮可")} <= set(gateway.live_keys())
