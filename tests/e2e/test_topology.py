"""A gateway of two replicas behind a round-robin load balancer, on both gateways.

The real tier runs where RECONCILER_REAL_REPLICA_URLS (space-separated) and
RECONCILER_REAL_LB_URL point at the shared starter's REPLICAS=2 and LB_PORT (with or without
REDIS_PORT); the sandbox plays the same replicas with the real proxy's cache lags
(reconciler/sandbox/replicas.py). What a user sees is asserted: exit codes, the in-force
lines, and each replica refusing or serving, probed with the key itself.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.e2e.conftest import _namespaced
from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import REAL_KEY_ENV, Gateway
from tests.e2e.harness import Result, agent, model, read_secrets, run_cli, write_desired

REPLICAS_ENV, LB_ENV = "RECONCILER_REAL_REPLICA_URLS", "RECONCILER_REAL_LB_URL"


@dataclass
class Fleet(Gateway):
    replica_urls: list[str] = field(default_factory=list)


@pytest.fixture(params=["sandbox", "real"])
def fleet(request: pytest.FixtureRequest) -> Iterator[Fleet]:
    if request.param == "sandbox":
        with SandboxGateway(seed=False, replicas=2, load_balancer=True) as sandbox:
            yield from _namespaced(Fleet("sandbox", sandbox.lb_url, DEFAULT_MASTER_KEY,
                                         replica_urls=sandbox.replica_urls))
        return
    urls, lb, key = (os.environ.get(n) for n in (REPLICAS_ENV, LB_ENV, REAL_KEY_ENV))
    if not (urls and lb and key):
        pytest.skip(f"skipped: no replicated real proxy (set {REPLICAS_ENV}, {LB_ENV}, "
                    f"{REAL_KEY_ENV})")
    yield from _namespaced(Fleet("real", lb, key, replica_urls=urls.split()))


def accepted(url: str, raw: str) -> bool:
    """Does this replica let the key in? (/key/info of the calling key: auth, no LLM call.)"""
    with httpx.Client(timeout=30) as http:
        return http.get(url + "/key/info", headers={"Authorization": f"Bearer {raw}"}
                        ).status_code == 200


def cli(fleet: Fleet, cwd: Path, *args: str, replicas: list[str] | None = None) -> Result:
    urls = fleet.replica_urls if replicas is None else replicas
    return run_cli(fleet, cwd, *args, extra_env={"LITELLM_REPLICA_URLS": " ".join(urls)})


def estate(fleet: Fleet, **agent_fields: Any) -> dict[str, Any]:
    return {"settings": {"scope": fleet.prefix}, "pinned": [{"alias": fleet.pinned_alias}],
            "models": [model(fleet, "m25", "MiniMax-M2.5")],
            "agents": [agent(fleet, "runaway", ["MiniMax-M2.5"], **agent_fields)]}


def applied_key(fleet: Fleet, tmp_path: Path, **agent_fields: Any) -> str:
    """The agent's key, applied, then used on every replica (each caches it)."""
    write_desired(tmp_path / "desired", estate(fleet, **agent_fields))
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve",
               "--secrets-out", "s.jsonl")
    assert done.code == 0, done.both
    raw = str(read_secrets(tmp_path / "s.jsonl")[-1]["key"])
    assert all(accepted(url, raw) for url in fleet.replica_urls)
    return raw


def test_a_block_is_refused_by_every_replica_when_the_command_returns(
    fleet: Fleet, tmp_path: Path
) -> None:
    raw = applied_key(fleet, tmp_path)
    blocked = cli(fleet, tmp_path, "block", fleet.name("runaway"), "--desired", "desired",
                  "--reason", "runaway spend")
    returned = time.monotonic()
    assert blocked.code == 0, blocked.both
    assert f"key.{fleet.name('runaway')}: in force on every replica (2) " in blocked.out
    assert not any(accepted(url, raw) for url in fleet.replica_urls)
    assert time.monotonic() - returned < 2


def test_apply_blocks_then_deletes_on_every_replica(fleet: Fleet, tmp_path: Path) -> None:
    raw = applied_key(fleet, tmp_path)
    write_desired(tmp_path / "desired", estate(fleet, blocked=True))
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert done.code == 0, done.both
    assert "blocked; in force on every replica (2) " in done.out
    assert not any(accepted(url, raw) for url in fleet.replica_urls)
    # Removed with removed_agents: delete: blocked everywhere first, so no replica's cache
    # can let the deleted key in.
    gone = {**estate(fleet), "agents": [], "settings": {"scope": fleet.prefix,
                                                        "removed_agents": "delete"}}
    write_desired(tmp_path / "desired", gone)
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert done.code == 0, done.both
    assert "deleted (blocked first); in force on every replica (2) " in done.out
    assert fleet.name("runaway") not in fleet.live_keys()
    assert not any(accepted(url, raw) for url in fleet.replica_urls)
    again = cli(fleet, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both


def test_with_no_replicas_named_the_bound_is_said(fleet: Fleet, tmp_path: Path) -> None:
    applied_key(fleet, tmp_path)
    blocked = cli(fleet, tmp_path, "block", fleet.name("runaway"), "--desired", "desired",
                  "--reason", "runaway spend", replicas=[])
    assert blocked.code == 0, blocked.both
    assert ("other replicas may accept this key for up to 60 s (LiteLLM's default); name "
            "them in $LITELLM_REPLICA_URLS to make it immediate") in blocked.out


class _NotLiteLLM(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        page = b"<html><body>welcome</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        return


@pytest.mark.parametrize("bad", ["down", "500", "not litellm"])
def test_a_replica_that_cannot_confirm_is_named_and_the_others_refuse(
    fleet: Fleet, tmp_path: Path, bad: str
) -> None:
    raw = applied_key(fleet, tmp_path)
    with _bad_replica(bad, fleet.replica_urls[1]) as url:
        blocked = cli(fleet, tmp_path, "block", fleet.name("runaway"), "--desired", "desired",
                      "--reason", "runaway spend", replicas=[fleet.replica_urls[0], url])
    assert blocked.code == 1, blocked.both
    said = {"down": "cannot reach the gateway", "500": "HTTP 500",
            "not litellm": "answered 200 with text/html, not JSON"}[bad]
    assert "NOT confirmed on 1 of 2 replicas (" + url in blocked.err and said in blocked.err
    assert "that replica may accept this key for up to 60 s" in blocked.err
    assert "raw" not in blocked.both and raw not in blocked.both
    assert not accepted(fleet.replica_urls[0], raw)
    assert fleet.live_keys()[fleet.name("runaway")]["blocked"] is True


class _bad_replica:  # a context manager, named like open()
    def __init__(self, how: str, upstream: str) -> None:
        self.how, self.upstream = how, upstream
        self.stack: list[Any] = []

    def __enter__(self) -> str:
        if self.how == "down":
            return "http://127.0.0.1:9"  # discard: nothing listens there
        if self.how == "500":
            proxy = FaultyProxy(self.upstream).__enter__()
            proxy.fail("POST", "/key/block", status=500, times=10)
            self.stack.append(proxy)
            return proxy.base_url
        server = ThreadingHTTPServer(("127.0.0.1", 0), _NotLiteLLM)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.stack.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        for thing in self.stack:
            if isinstance(thing, FaultyProxy):
                thing.__exit__()
            else:
                thing.shutdown()
                thing.server_close()


def test_a_model_applied_with_wait_is_served_by_every_replica(
    fleet: Fleet, tmp_path: Path
) -> None:
    applied_key(fleet, tmp_path)
    grown = estate(fleet)
    grown["models"].append(model(fleet, "m25l", "MiniMax-M2.5-Lightning"))
    write_desired(tmp_path / "desired", grown)
    started = time.monotonic()
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve", "--wait")
    assert done.code == 0, done.both
    assert f"model.{fleet.name('m25l')}: served by every replica (2) " in done.out
    for url in fleet.replica_urls:
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {fleet.admin_key}"}
                          ) as http:
            rows = http.get(url + "/model/info",
                            params={"litellm_model_id": fleet.name("m25l")}).json()
        assert [r["model_info"]["id"] for r in rows.get("data", [])] == [fleet.name("m25l")]
    print(f"{fleet.kind}: apply --wait took {time.monotonic() - started:.1f} s")


def test_two_applies_through_the_load_balancer_one_writer(
    fleet: Fleet, tmp_path: Path
) -> None:
    many = estate(fleet)
    many["agents"] = [agent(fleet, f"a{i}", ["MiniMax-M2.5"]) for i in range(6)]
    write_desired(tmp_path / "desired", many)
    results: list[Result] = []

    def one(n: int) -> None:
        results.append(cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                           "--secrets-out", f"s{n}.jsonl", "--report", f"r{n}.json"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.code for r in results] == [0, 0], [r.both for r in results]
    # One writer: exactly one of them created the keys, the other found nothing to do.
    creators = [r for r in results if "Apply complete: 7 change(s) done" in r.out]
    assert len(creators) == 1, [r.out for r in results]
    assert sum("No changes." in r.out for r in results) == 1
    keys = fleet.namespace_keys()
    aliases = [k["key_alias"] for k in keys if k["key_alias"].startswith(fleet.name("a"))]
    assert sorted(aliases) == sorted(fleet.name(f"a{i}") for i in range(6))  # no duplicates
    again = cli(fleet, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both


def test_health_checks_every_replica(fleet: Fleet, tmp_path: Path) -> None:
    applied_key(fleet, tmp_path)
    fine = cli(fleet, tmp_path, "health", "--desired", "desired", "--format", "json")
    checks = {c["name"]: c for c in json.loads(fine.out)["checks"]}
    for url in fleet.replica_urls:
        assert checks[f"replica {url}"]["level"] == "ok", fine.both
    down = cli(fleet, tmp_path, "health", "--desired", "desired",
               replicas=[fleet.replica_urls[0], "http://127.0.0.1:9"])
    assert down.code == 3, down.both
    assert "replica http://127.0.0.1:9" in down.out and "unreachable" in down.out


def _chat(url: str, raw: str, model_name: str) -> int:
    with httpx.Client(timeout=30) as http:
        return http.post(url + "/chat/completions", headers={"Authorization": f"Bearer {raw}"},
                         json={"model": model_name,
                               "messages": [{"role": "user", "content": "hi"}]}).status_code


def test_a_team_block_is_refused_by_every_replica_when_apply_returns(
    fleet: Fleet, tmp_path: Path
) -> None:
    mock = fleet.name("mock-model")
    team = {"name": fleet.name("ops"), "models": [mock]}
    tree = {"settings": {"scope": fleet.prefix}, "pinned": [{"alias": fleet.pinned_alias}],
            "models": [model(fleet, "mock", "mock-model", mock_response="hi")],
            "teams": [team], "agents": [agent(fleet, "runner", ["mock-model"],
                                               team=fleet.name("ops"))]}
    write_desired(tmp_path / "desired", tree)
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve", "--wait",
               "--secrets-out", "s.jsonl")
    assert done.code == 0, done.both
    raw = str(read_secrets(tmp_path / "s.jsonl")[-1]["key"])
    # Served on every replica: each now holds the team, unblocked, in its cache.
    assert [_chat(url, raw, mock) for url in fleet.replica_urls] == [200, 200]
    team["blocked"] = True
    write_desired(tmp_path / "desired", tree)
    done = cli(fleet, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert done.code == 0, done.both
    assert "blocked; in force on every replica (2) " in done.out
    assert [_chat(url, raw, mock) for url in fleet.replica_urls] == [401, 401]
