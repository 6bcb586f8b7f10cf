"""Benchmark: how plan scales with the estate. Not a test; run it and read the numbers.

    python scripts/bench.py                     # pure diff, then plan over HTTP on the sandbox
    python scripts/bench.py --sizes 100 1000    # choose estate sizes
    python scripts/bench.py --base-url URL --admin-key KEY   # also against a real proxy (creates
                                                # and then deletes bench-* keys and models)
    python scripts/bench.py --load              # only: read + validate a desired/ of N agents

Reports, per size: the pure diff+plan time, the requests a plan makes to read the gateway
(the target is ceil(live keys/100) + 1) and the wall time of a full `plan` over HTTP.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.commands.sources import read_sources
from reconciler.core.desired import Agent, Estate, ModelDeployment, Settings
from reconciler.core.diff import plan_changes
from reconciler.core.diff_keys import key_spec
from reconciler.core.live import parse_live
from reconciler.core.loader import load_estate
from reconciler.gateway.client import GatewayClient
from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway

SCOPE = "bench"


def estate(size: int) -> Estate:
    models = (ModelDeployment(id="bench-m", model_name="bench-model",
                              litellm_params={"model": "openai/gpt-4o-mini"}),)
    agents = tuple(Agent(name=f"bench-agent-{i:05d}", owner="bench", models=["bench-model"],
                         max_budget=10, rpm_limit=60) for i in range(size))
    return Estate(agents=agents, models=models, settings=Settings(scope=SCOPE))


def live_rows(target: Estate) -> list[dict[str, Any]]:
    rows = []
    for i, agent in enumerate(target.agents):
        spec = key_spec(agent, SCOPE)
        rows.append({"token": f"{i:064x}", "key_alias": agent.name, "key_name": "sk-...abcd",
                     "blocked": None, **{k: v for k, v in spec.items() if k != "key_alias"}})
    return rows


def time_pure(size: int) -> float:
    target = estate(size)
    live = parse_live(live_rows(target), [])
    start = time.perf_counter()
    plan_changes(target, live)
    return time.perf_counter() - start


def seed_gateway(url: str, key: str, target: Estate) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"},
                      timeout=60) as http:
        for agent in target.agents:
            body = {k: v for k, v in key_spec(agent, SCOPE).items() if v is not None}
            body.pop("blocked")
            http.post("/key/generate", json=body).raise_for_status()


def time_http_plan(url: str, key: str, target: Estate) -> tuple[int, float, int, int]:
    with GatewayClient(url, key) as client:
        start = time.perf_counter()
        live = parse_live(client.list_keys(), client.list_models())
        plan = plan_changes(target, live)
        elapsed = time.perf_counter() - start
        return client.request_count, elapsed, len(plan.changes), len(live.keys)


def cleanup(url: str, key: str) -> None:
    with GatewayClient(url, key) as client:
        tokens = [r["token"] for r in client.list_keys()
                  if str(r.get("key_alias", "")).startswith("bench-agent-")]
        for i in range(0, len(tokens), 100):
            client._call("POST", "/key/delete", json={"keys": tokens[i:i + 100]})


def report(label: str, url: str, key: str, sizes: list[int]) -> None:
    for size in sizes:
        target = estate(size)
        seed_gateway(url, key, target)
        requests, elapsed, changes, live_keys = time_http_plan(url, key, target)
        expected = math.ceil(live_keys / 100) + 1
        print(f"{label:8} {size:6} agents ({live_keys} live keys): plan over HTTP "
              f"{elapsed * 1000:8.1f} ms, {requests} requests (target {expected}), "
              f"{changes} changes (1 create_model)")
        cleanup(url, key)


def time_load(size: int, per_file: bool) -> tuple[float, float]:
    """Wall and CPU time of read_sources + load_estate (what validate does) for `size` agents."""
    agents = [{"name": f"bench-agent-{i:05d}", "owner": "bench", "models": ["bench-model"],
               "max_budget": 10, "budget_duration": "30d", "rpm_limit": 60,
               "metadata": {"team": f"t{i % 7}"}} for i in range(size)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "gateway.yaml").write_text("config_models: [bench-model]\n")
        groups = [[a] for a in agents] if per_file else [agents]
        for i, group in enumerate(groups):
            (root / f"agents-{i:05d}.yaml").write_text(
                yaml.safe_dump({"agents": group}, sort_keys=False))
        start, cpu = time.perf_counter(), time.process_time()
        loaded = load_estate(read_sources(root))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(loaded.agents) == size
    return elapsed, cpu


def report_load(sizes: list[int]) -> None:
    print(f"yaml parser: {'libyaml (C)' if yaml.__with_libyaml__ else 'pure Python'}")
    for size in sizes:
        for per_file in (False, True):
            layout = "one file per agent" if per_file else "one file"
            wall, cpu = time_load(size, per_file)
            print(f"load     {size:6} agents ({layout:18}): read+validate "
                  f"{wall * 1000:8.1f} ms wall, {cpu * 1000:8.1f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2500])
    parser.add_argument("--base-url")
    parser.add_argument("--admin-key")
    parser.add_argument("--load", action="store_true", help="only time loading desired/")
    args = parser.parse_args()
    if args.load:
        report_load([*args.sizes, 10000])
        return
    for size in [*args.sizes, 10000]:
        print(f"pure     {size:6} agents: diff+plan {time_pure(size) * 1000:8.1f} ms")
    with SandboxGateway(seed=False) as sandbox:
        report("sandbox", sandbox.base_url, DEFAULT_MASTER_KEY, args.sizes)
    if args.base_url and args.admin_key:
        report("real", args.base_url, args.admin_key, args.sizes)


if __name__ == "__main__":
    main()
