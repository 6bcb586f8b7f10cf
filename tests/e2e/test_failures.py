"""A failed apply says what was and was not done, and running apply again converges."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import read_json, read_secrets, run_cli


def _apply(gw: Gateway, tmp_path: Path, *extra: str, base_url: str | None = None):
    return run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve", *extra,
                   base_url=base_url)


def test_a_refused_create_mid_apply_reports_and_rerun_converges(gateway: Gateway, desired: Path,
                                                                 tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("POST", "/key/generate", status=400, skip=1)  # one new key is refused
        failed = _apply(gateway, tmp_path, "--secrets-out", "s.jsonl", base_url=proxy.base_url)
    assert failed.code == 1
    assert "apply stopped: 3 done, 1 failed, 0 not attempted" in failed.err
    assert "POST /key/generate answered 400: Injected fault" in failed.out  # 4xx: no retry
    report = read_json(tmp_path / "apply-report.json")
    assert sorted(s["status"] for s in report["steps"]) == ["done", "done", "done", "failed"]

    again = _apply(gateway, tmp_path, "--secrets-out", "s.jsonl")
    assert again.code == 0, again.both
    assert "1 change(s) done" in again.out
    for name in ("李狗蛋", "妮可"):
        assert len(gateway.keys_by_alias(gateway.name(name))) == 1
    # The refused key's secret was stored before the call: 3 secrets, 2 live keys.
    live = {k["token"] for k in gateway.live_keys().values()}
    assert len([s for s in read_secrets(tmp_path / "s.jsonl") if s["key_sha256"] in live]) == 2
    final = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert final.code == 0, final.both


def test_failure_before_the_end_leaves_the_rest_not_attempted(gateway: Gateway, desired: Path,
                                                              tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("POST", "/model/new", status=400, skip=1)
        failed = _apply(gateway, tmp_path, "--secrets-out", "s.jsonl", base_url=proxy.base_url)
    assert failed.code == 1
    report = read_json(tmp_path / "apply-report.json")
    # Both models are one phase (in parallel); the keys' phase never starts.
    assert sorted(s["status"] for s in report["steps"][:2]) == ["done", "failed"]
    assert [s["status"] for s in report["steps"][2:]] == ["not_attempted", "not_attempted"]
    assert report["not_attempted"] == 2
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}
    assert _apply(gateway, tmp_path, "--secrets-out", "s.jsonl").code == 0
    assert len(gateway.models()) == 2


def test_failing_sink_creates_no_key_and_next_apply_creates_them(gateway: Gateway,
                                                                 desired: Path,
                                                                 tmp_path: Path) -> None:
    failed = _apply(gateway, tmp_path, "--secrets-cmd", "cat > /dev/null; exit 3")
    assert failed.code == 1
    assert "--secrets-cmd exited 3" in failed.out
    # The secret goes to the sink before the gateway hears of the key: no sink, no key.
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}

    fixed = _apply(gateway, tmp_path, "--secrets-out", "s.jsonl")
    assert fixed.code == 0, fixed.both
    assert {s["agent"] for s in read_secrets(tmp_path / "s.jsonl")} == {
        gateway.name("李狗蛋"), gateway.name("妮可")}
    assert run_cli(gateway, tmp_path, "plan", "--desired", "desired",
                   "--detailed-exitcode").code == 0


def test_a_gateway_that_does_not_answer_in_time(gateway: Gateway, desired: Path,
                                                tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("GET", "/model/info", delay=3)
        result = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--timeout", "0.5",
                         "--retries", "0", base_url=proxy.base_url)
    assert result.code == 1
    assert result.err.strip() == (
        f"error: GET /model/info: the gateway at {proxy.base_url} did not answer in time")


def test_one_slow_answer_is_retried(gateway: Gateway, desired: Path, tmp_path: Path) -> None:
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.fail("GET", "/model/info", delay=3)
        result = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--timeout", "0.5",
                         base_url=proxy.base_url)
    assert result.code == 0, result.both
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in result.out


def test_a_key_an_older_version_marked_undelivered_is_replaced(gateway: Gateway, desired: Path,
                                                               tmp_path: Path) -> None:
    assert _apply(gateway, tmp_path, "--secrets-out", "s.jsonl").code == 0
    alias = gateway.name("妮可")
    [old] = gateway.keys_by_alias(alias)
    # What an older version left when its sink failed: the key blocked and marked.
    gateway.call("POST", "/key/update", json={
        "key": old["token"], "blocked": True,
        "metadata": {**old["metadata"], "reconciler_secret_undelivered": True}})
    fixed = _apply(gateway, tmp_path, "--secrets-out", "s.jsonl")
    assert fixed.code == 0, fixed.both
    assert f"[ok] delete_key {alias}" in fixed.out
    [new] = gateway.keys_by_alias(alias)
    assert new["token"] != old["token"] and new["blocked"] is not True
    assert new["token"] in {s["key_sha256"] for s in read_secrets(tmp_path / "s.jsonl")}
    assert run_cli(gateway, tmp_path, "plan", "--desired", "desired",
                   "--detailed-exitcode").code == 0
