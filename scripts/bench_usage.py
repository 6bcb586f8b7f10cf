"""Benchmark: how `usage` scales with keys and spend-log rows. Not a test; run it and read it.

    python scripts/bench_usage.py                          # sandbox, synthetic keys and rows
    python scripts/bench_usage.py --rows 1000 20000        # choose log sizes
    python scripts/bench_usage.py --base-url URL --admin-key KEY   # read a real proxy as it is

Reports the requests a usage read makes (target: ceil(keys/100) + ceil(rows/1000)) and the time
to read and build the report. On the sandbox the rows are written straight into its state; on a
real proxy the report covers whatever the last 30 days hold (nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
import uuid

from reconciler.core.input.desired import Agent, Estate, Settings
from reconciler.core.kinds.key.metadata import key_spec
from reconciler.core.observe.usage import UTC, Period
from reconciler.core.observe.usage_join import build_report
from reconciler.gateway.client import GatewayClient
from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from reconciler.sandbox.keyrows import blank_row
from reconciler.sandbox.spendlogs import log_request
from reconciler.sandbox.util import now

AGENTS = 150


def estate() -> Estate:
    agents = tuple(Agent(name=f"bench-agent-{i:04d}", owner="bench", models=["bench-model"],
                         max_budget=10) for i in range(AGENTS))
    return Estate(agents=agents, config_models=frozenset({"bench-model"}),
                  settings=Settings(scope="bench"))


def seed(gateway: SandboxGateway, target: Estate, rows: int) -> None:
    tokens = []
    with gateway.state.lock:
        for agent in target.agents:
            row = blank_row("sk-" + uuid.uuid4().hex, now())
            row.update({k: v for k, v in key_spec(agent, "bench").items() if k != "blocked"})
            gateway.state.keys[row["token"]] = row
            tokens.append((row["token"], agent.name))
        for i in range(rows):
            token, alias = tokens[i % len(tokens)]
            log_request(gateway.state, token=token, alias=alias, asked="bench-model",
                        served="bench-model", model_id="m", model="openai/x", api_base="",
                        usage={"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
                        spend=7.2e-05, request_id=None, fallbacks=0)
        # Spread over the last days (the sandbox clock only moves forward, 1 ms a row).
        base = dt.datetime.now(UTC) - dt.timedelta(minutes=1)
        for i, row in enumerate(gateway.state.spend_logs):
            moment = base - dt.timedelta(seconds=10 * i)
            row["startTime"] = row["endTime"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def measure(url: str, key: str, target: Estate) -> tuple[int, int, int, float]:
    end = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    period = Period(end - dt.timedelta(days=30), end, "bench")
    start = time.perf_counter()
    with GatewayClient(url, key, timeout=120) as client:
        keys = client.list_keys()
        logs = client.spend_logs(f"{period.start:%Y-%m-%d %H:%M:%S}", f"{end:%Y-%m-%d %H:%M:%S}")
        build_report(target, keys, logs, period)
        return len(keys), len(logs), client.request_count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000, 25_000])
    parser.add_argument("--base-url")
    parser.add_argument("--admin-key")
    args = parser.parse_args()
    target = estate()
    print(f"{'gateway':8} {'keys':>6} {'rows':>7} {'requests':>8} {'target':>6} {'seconds':>8}")
    for rows in args.rows:
        with SandboxGateway(seed=False) as gateway:
            seed(gateway, target, rows)
            _print("sandbox", *measure(gateway.base_url, DEFAULT_MASTER_KEY, target))
    if args.base_url and args.admin_key:
        _print("real", *measure(args.base_url, args.admin_key, target))


def _print(kind: str, keys: int, rows: int, requests: int, seconds: float) -> None:
    target = max(1, math.ceil(keys / 100)) + max(1, math.ceil(rows / 1000))
    print(f"{kind:8} {keys:>6} {rows:>7} {requests:>8} {target:>6} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
