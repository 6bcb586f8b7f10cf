"""Issue case 1: the apply lease cannot be squatted, on both gateways.

An internal user's own key shaped like a lease row, an admin key holding the next
generation's alias, a malformed lease row: apply ignores them (naming each) or moves past
them, and succeeds; a lease held by a process that has died is named with full UTC times.
The conftest checks that the pinned and the unmanaged key are byte-identical afterwards.
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

from reconciler.gateway.client import GatewayClient
from reconciler.gateway.lease import LEASE_FIELD, Lease, lease_raw_key
from reconciler.gateway.retry import RetryPolicy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli


def _client(gw: Gateway) -> GatewayClient:
    return GatewayClient(gw.base_url, gw.admin_key, retry=RetryPolicy(base=0.05))


def _top_generation(gw: Gateway) -> int:
    with _client(gw) as client:
        return max((r.generation for r in Lease(client)._rows()), default=0)


def _apply(gw: Gateway, tmp_path: Path, *more: str) -> tuple[int, str, str]:
    done = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                   "--secrets-out", "s.jsonl", "--lease-wait", "0", *more)
    return done.code, done.out, done.err


def test_lease_rows_a_non_admin_wrote_or_malformed_ones_are_ignored_by_name(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    evil = gateway.internal_user()
    squat = gateway.as_user(evil, "POST", "/key/generate", json={
        "key_alias": "reconciler-lease/9999999999", "key": lease_raw_key(9999999999),
        "metadata": {LEASE_FIELD: "apply", "generation": 9999999999, "holder": "evil",
                     "expires_at": 1e12}})
    odd = gateway.call("POST", "/key/generate", json={
        "key_alias": f"reconciler-lease/{gateway.prefix}", "blocked": True,
        "metadata": {LEASE_FIELD: "apply", "generation": "abc", "holder": "x"}})
    try:
        code, out, err = _apply(gateway, tmp_path)
        assert code == 0, out + err
        assert (f"warning: ignored the key 'reconciler-lease/9999999999' ({squat['key_name']}) "
                f"as an apply lease: it was written by '{gateway.name('evil')}', not an admin"
                ) in err
        assert (f"warning: ignored the key 'reconciler-lease/{gateway.prefix}' "
                f"({odd['key_name']}) as an apply lease: generation 'abc' is not a number "
                "from 1 to 9999999999") in err
        assert "Traceback" not in err
        # Neither is hidden from plans: they are keys like any other the tool did not create.
        shown = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--show-untouched")
        assert "reconciler-lease/9999999999" in shown.out, shown.both
        squatted = gateway.key_info(squat["token"])
        assert squatted["metadata"]["holder"] == "evil" and squatted["created_by"] \
            == gateway.name("evil")
    finally:
        gateway.call("POST", "/key/delete", json={"keys": [squat["token"], odd["token"]]})


def test_a_generation_whose_alias_is_taken_is_skipped(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    top = _top_generation(gateway)
    taken = gateway.call("POST", "/key/generate", json={
        "key_alias": f"reconciler-lease/{top + 1:010d}", "blocked": True})
    try:
        code, out, err = _apply(gateway, tmp_path)
        assert code == 0, out + err
        assert _top_generation(gateway) == top + 2  # past the taken one
        again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
        assert again.code == 0, again.both
        assert gateway.key_info(taken["token"])["key_alias"] == f"reconciler-lease/{top + 1:010d}"
    finally:
        gateway.call("POST", "/key/delete", json={"keys": [taken["token"]]})


def test_a_lease_held_by_a_dead_process_is_named_with_full_utc_times(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    dead = subprocess.Popen(["true"])  # a pid that has exited
    dead.wait()
    with _client(gateway) as client:
        lease = Lease(client, ttl=60, wait=0)
        lease.holder = f"{socket.gethostname()}:{dead.pid}:deadbeef"
        lease.acquire()
        lease._stop.set()  # like kill -9: no heartbeat, no release
        try:
            code, _, err = _apply(gateway, tmp_path)
        finally:
            lease.release()
    assert code == 1
    pattern = (rf"error: another apply is writing to this gateway \(held by "
               rf"{re.escape(socket.gethostname())}:{dead.pid}:deadbeef until "
               r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC unless renewed; its process "
               rf"{dead.pid} on this host is gone, so it frees itself then\); run again when "
               r"it is done\n")
    assert re.fullmatch(pattern, err), err
    assert not (tmp_path / "s.jsonl").exists()


def test_lease_names_are_reserved_in_desired_and_for_agent_add(tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "a.yaml").write_text(
        "config_models: [M]\nagents:\n  - name: Reconciler-Lease/0000000005\n"
        "    owner: x\n    models: [M]\n", encoding="utf-8")
    checked = run_cli(None, tmp_path, "validate", "--desired", "desired")
    assert checked.code == 1
    assert checked.err == (
        "desired/a.yaml:3: agents[Reconciler-Lease/0000000005].name: names starting with "
        "'reconciler-lease' are reserved for the apply lease\n"
        "error: desired state is invalid (1 problem)\n")
    (desired / "a.yaml").write_text("config_models: [M]\n", encoding="utf-8")
    added = run_cli(None, tmp_path, "agent", "add", "reconciler-lease/7", "--models", "M",
                    "--owner", "x", "--desired", "desired", "--no-plan")
    assert added.code == 1 and "reserved for the apply lease" in added.err, added.both
    assert sorted(p.name for p in desired.rglob("*")) == ["a.yaml"]
