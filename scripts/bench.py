"""Benchmark: apply and plan against raw httpx clients, side by side, on one gateway.

    python scripts/bench.py                                  # sandbox only (small sizes)
    python scripts/bench.py --base-url URL --admin-key KEY   # also a real proxy (creates and
        --apply-size 1000 --plan-sizes 1000 10000            # then deletes bench-* keys)
    python scripts/bench.py --load --plan-sizes 1000 10000   # only: read + validate desired/

Not a test: it prints a table, then the same figures as JSON. What it measures:

- apply vs raw: `reconciler apply` (in process, the whole command: lease, plan, apply, the
  duplicate check) creating, updating and blocking N keys, against a raw httpx client sending
  the same writes 8 at a time (the requests the plan makes: the same end state, the tool's
  record included), taking turns, best of REPS each; then a re-plan, which must be empty.
  Blocks are also timed against bare `/key/block` calls, which leave no record.
- latency: 1,000 creates through a sandbox 20 ms away, --parallelism 8 vs --parallelism 1.
- plan: reading and diffing N live keys against a raw reader fetching the pages 8 at a time;
  the requests plan makes, and the peak memory of `reconciler plan` in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.commands.cli import main as cli_main
from reconciler.commands.common import read_live
from reconciler.commands.sources import read_sources
from reconciler.core.engine.planner import plan_changes
from reconciler.core.input.desired import Agent, Estate, Settings
from reconciler.core.input.loader import load_estate
from reconciler.core.kinds.key.metadata import key_spec
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.lease import without_lease_rows
from reconciler.sandbox import DEFAULT_MASTER_KEY

SCOPE = "bench"
PREFIX = "bench-"
IN_FLIGHT = 8
REPS = 3
Row = dict[str, Any]


def agents(count: int, tag: str = "agent", **fields: Any) -> list[dict[str, Any]]:
    return [{"name": f"{PREFIX}{tag}-{i:05d}", "owner": "bench", "models": ["bench-model"],
             "max_budget": 10, **fields} for i in range(count)]


def write_desired(root: Path, entries: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"settings": {"scope": SCOPE}, "config_models": ["bench-model"], "agents": entries}
    (root / "estate.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def http(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120,
                        limits=httpx.Limits(max_connections=IN_FLIGHT + 2))


def raw_parallel(url: str, key: str, bodies: list[tuple[str, Row]]) -> float:
    """Seconds for a raw httpx client to POST every (path, body), IN_FLIGHT at a time."""
    with http(url, key) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        start = time.perf_counter()
        for response in pool.map(lambda pb: client.post(pb[0], json=pb[1]), bodies):
            response.raise_for_status()
        return time.perf_counter() - start


@contextlib.contextmanager
def sandbox_process(latency: float = 0.0) -> Iterator[str]:
    """`reconciler sandbox` in its own process (its own GIL, as a real gateway would be)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "--no-seed",
                             "--port", str(port), "--latency", str(latency)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(url + "/health/liveliness", timeout=1)
                break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def load_seconds(desired: Path) -> float:
    """What reading desired/ alone takes (YAML and checks), to show apart from gateway time."""
    start = time.perf_counter()
    load_estate(read_sources(desired))
    return time.perf_counter() - start


def apply_cli(url: str, key: str, desired: Path, *extra: str) -> float:
    """Seconds for the whole `reconciler apply` command, in this process, output discarded."""
    argv = ["apply", "--desired", str(desired), "--auto-approve", "--force",
            "--secrets-out", str(desired.parent / "secrets.jsonl"),
            "--report", str(desired.parent / "report.json"), "--base-url", url, *extra]
    os.environ["LITELLM_ADMIN_KEY"] = key
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli_main(argv)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"apply failed: {out.getvalue()[-2000:]}")
    return elapsed


def live_rows(url: str, key: str) -> list[Row]:
    with GatewayClient(url, key) as client:
        return without_lease_rows(client.list_keys())


def cleanup(url: str, key: str) -> None:
    tokens = [r["token"] for r in live_rows(url, key)
              if str(r.get("key_alias") or "").startswith(PREFIX)]
    # One batch at a time: the real proxy's bulk deletes deadlock each other in Postgres.
    with http(url, key) as client:
        for i in range(0, len(tokens), 100):
            for _ in range(3):
                if client.post("/key/delete", json={"keys": tokens[i:i + 100]}).is_success:
                    break


def replan_changes(url: str, key: str, desired: Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        os.environ["LITELLM_ADMIN_KEY"] = key
        return cli_main(["plan", "--desired", str(desired), "--base-url", url,
                         "--detailed-exitcode"])


# -- apply vs raw --------------------------------------------------------------------------------
def planned_writes(url: str, key: str, desired: Path) -> list[tuple[str, Row]]:
    """The writes apply would send for desired/ now, as (path, body): what a raw client must
    send to reach the same end state (the tool's record included; a create with its key)."""
    estate = load_estate(read_sources(desired))
    with GatewayClient(url, key) as client:
        plan = plan_changes(estate, read_live(client, ["key", "model"]))
    writes: list[tuple[str, Row]] = []
    for change in plan.changes:
        if change.action == "create_key":
            body = {k: v for k, v in change.after.items() if v is not None and k != "blocked"}
            writes.append(("/key/generate", {**body, "key": "sk-" + secrets.token_urlsafe(32)}))
        else:
            extra = (change.spec or {}) if change.action == "block_key" else {}
            writes.append(("/key/update", {"key": change.ref, **change.after, **extra}))
    return writes


def _turn(url: str, key: str, desired: Path, entries: list[dict[str, Any]],
          undo: Callable[[], None]) -> tuple[float, float]:
    """One raw run and one apply run to the same end state from the same start: raw sends the
    planned writes, `undo` puts the start back, then apply does it."""
    write_desired(desired, entries)
    raw_s = raw_parallel(url, key, planned_writes(url, key, desired))
    undo()
    write_desired(desired, entries)
    return raw_s, apply_cli(url, key, desired)


def bench_apply(url: str, key: str, size: int, work: Path) -> dict[str, Any]:
    """Raw and apply take turns (the proxy's speed drifts with whatever else the machine
    runs); the best of REPS turns of each counts. Both act on a key table of the same size."""
    cleanup(url, key)
    desired = work / "apply" / "desired"
    out: dict[str, Any] = {"size": size, "reps": REPS}
    times: dict[str, list[float]] = {}

    def record(op: str, pair: tuple[float, float]) -> None:
        times.setdefault(f"raw_{op}_s", []).append(pair[0])
        times.setdefault(f"apply_{op}_s", []).append(pair[1])

    def base(budget: int, blocked: bool = False) -> Callable[[], None]:
        return lambda: (write_desired(desired, agents(size, max_budget=budget, blocked=blocked)),
                        apply_cli(url, key, desired))

    for _ in range(REPS):
        record("create", _turn(url, key, desired, agents(size), lambda: cleanup(url, key)))
        record("update", _turn(url, key, desired, agents(size, max_budget=31), base(30)))
        record("block", _turn(url, key, desired, agents(size, max_budget=31, blocked=True),
                              base(31)))
        base(31)()
        tokens = [r["token"] for r in live_rows(url, key)
                  if str(r.get("key_alias")).startswith(PREFIX)]
        times.setdefault("raw_bare_block_s", []).append(
            raw_parallel(url, key, [("/key/block", {"key": t}) for t in tokens]))
        write_desired(desired, agents(size, max_budget=31, blocked=True))
        apply_cli(url, key, desired)  # the record says blocked again (not timed)
        cleanup(url, key)
    out.update({name: min(values) for name, values in times.items()})
    out["runs"] = times
    write_desired(desired, agents(size))
    apply_cli(url, key, desired)
    out["replan_exit"] = replan_changes(url, key, desired)  # 0: no changes
    out["load_s"] = load_seconds(desired)
    for op in ("create", "update", "block"):
        out[f"{op}_ratio"] = out[f"raw_{op}_s"] / out[f"apply_{op}_s"]
        out[f"{op}_ratio_gateway_part"] = out[f"raw_{op}_s"] / (
            out[f"apply_{op}_s"] - out["load_s"])
    out["bare_block_ratio"] = out["raw_bare_block_s"] / out["apply_block_s"]
    cleanup(url, key)
    return out


def bench_latency(size: int, latency: float, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"size": size, "latency_ms": latency * 1000}
    for label, parallelism in (("serial", 1), ("parallel", IN_FLIGHT)):
        with sandbox_process(latency) as url:
            desired = write_desired(work / f"lat-{label}" / "desired", agents(size))
            out[f"{label}_s"] = apply_cli(url, DEFAULT_MASTER_KEY, desired,
                                          "--parallelism", str(parallelism))
    out["load_s"] = load_seconds(desired)
    out["speedup"] = out["serial_s"] / out["parallel_s"]
    # The same, without reading desired/ (YAML), which is the same work serial or not.
    out["speedup_gateway_part"] = (out["serial_s"] - out["load_s"]) / (
        out["parallel_s"] - out["load_s"])
    return out


# -- plan ----------------------------------------------------------------------------------------
def seed(url: str, key: str, size: int) -> None:
    specs = [key_spec(Agent(**a), SCOPE) for a in agents(size)]
    for spec in specs:
        spec.pop("blocked")
    raw_parallel(url, key, [("/key/generate", s) for s in specs])


def raw_reader(url: str, key: str) -> float:
    params = {"return_full_object": "true", "size": 100}
    with http(url, key) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        start = time.perf_counter()
        first = client.get("/key/list", params={**params, "page": 1}).json()
        pages = math.ceil(first["total_count"] / 100)
        rest = pool.map(lambda p: client.get("/key/list", params={**params, "page": p}).json(),
                        range(2, pages + 1))
        rows = first["keys"] + [k for body in rest for k in body["keys"]]
        client.get("/model/info").json()
        elapsed = time.perf_counter() - start
    assert len(rows) == first["total_count"]
    return elapsed


def timed_plan(url: str, key: str, estate: Estate) -> tuple[float, int, int]:
    """What `plan` does after reading desired/: read the gateway (read_live), diff."""
    with GatewayClient(url, key) as client:
        start = time.perf_counter()
        plan = plan_changes(estate, read_live(client, ["key", "model"]))
        return time.perf_counter() - start, client.request_count, len(plan.changes)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report
# at least this (large) benchmark process's size.
RSS_PROBE = (
    "import re, sys\n"
    "from reconciler.commands.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "status = open('/proc/self/status').read()\n"
    "print('maxrss', re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def plan_rss_mb(url: str, key: str, desired: Path) -> float:
    """Peak memory of `reconciler plan` in a process of its own (ru_maxrss, KiB on Linux)."""
    env = {**os.environ, "LITELLM_BASE_URL": url, "LITELLM_ADMIN_KEY": key}
    proc = subprocess.run([sys.executable, "-c", RSS_PROBE, "plan", "--desired", str(desired)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"plan failed: {proc.stderr[-2000:]}")
    return int(proc.stderr.rsplit("maxrss", 1)[1]) / 1024


def bench_plan(url: str, key: str, size: int, work: Path) -> dict[str, Any]:
    cleanup(url, key)
    seed(url, key, size)
    entries = agents(size)
    estate = Estate(agents=tuple(Agent(**a) for a in entries), settings=Settings(scope=SCOPE),
                    config_models=frozenset({"bench-model"}))
    plans, raws = [], []
    for _ in range(3):  # in turns, so neither profits from a warmer gateway
        plans.append(timed_plan(url, key, estate))
        raws.append(raw_reader(url, key))
    best, raw = min(plans), min(raws)
    desired = write_desired(work / f"plan-{size}" / "desired", entries)
    live = len(live_rows(url, key))
    out = {"size": size, "live_keys": live, "plan_s": best[0], "raw_reader_s": raw,
           "ratio": best[0] / raw, "requests": best[1],
           "request_limit": math.ceil(live / 100) + 5, "changes": best[2],
           "peak_rss_mb": plan_rss_mb(url, key, desired)}
    cleanup(url, key)
    return out


# -- report --------------------------------------------------------------------------------------
def gateways(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    with sandbox_process() as url:
        yield "sandbox", url, DEFAULT_MASTER_KEY
    if args.base_url and args.admin_key:
        yield "real", args.base_url, args.admin_key


def table(results: dict[str, Any]) -> None:
    row: Callable[..., None] = lambda *cells: print(" | ".join(str(c) for c in cells))  # noqa: E731
    for name, res in results["apply"].items():
        for op in ("create", "update", "block"):
            row(name, f"apply {res['size']} {op}s", f"{res[f'apply_{op}_s']:.2f}s",
                f"raw x{IN_FLIGHT}: {res[f'raw_{op}_s']:.2f}s",
                f"{res[f'{op}_ratio']:.0%} of raw (target >= 90%); "
                f"{res[f'{op}_ratio_gateway_part']:.0%} without reading desired/ "
                f"({res['load_s']:.2f}s)")
        row(name, f"apply {res['size']} blocks vs bare /key/block", f"{res['apply_block_s']:.2f}s",
            f"raw x{IN_FLIGHT}: {res['raw_bare_block_s']:.2f}s",
            f"{res['bare_block_ratio']:.0%} (no record: the next plan would call it a hold)")
        row(name, "re-plan after apply", "exit 0 (no changes)" if res["replan_exit"] == 0
            else f"exit {res['replan_exit']}", "", "")
    lat = results.get("latency")
    if lat:
        row("sandbox", f"apply {lat['size']} creates, {lat['latency_ms']:.0f} ms away",
            f"{lat['parallel_s']:.2f}s", f"serial: {lat['serial_s']:.2f}s",
            f"{lat['speedup']:.1f}x faster (target >= 6x); {lat['speedup_gateway_part']:.1f}x "
            f"without reading desired/ ({lat['load_s']:.2f}s)")
    for name, runs in results["plan"].items():
        for res in runs:
            row(name, f"plan {res['live_keys']} keys", f"{res['plan_s']:.2f}s",
                f"raw reader x{IN_FLIGHT}: {res['raw_reader_s']:.2f}s",
                f"{res['ratio']:.2f}x raw (target <= 1.2x); {res['requests']} requests "
                f"(limit {res['request_limit']}); peak {res['peak_rss_mb']:.0f} MB (<= 150)")
        if len(runs) >= 2:
            small, big = runs[0], runs[-1]
            row(name, f"plan scaling {small['size']} -> {big['size']}",
                f"{big['plan_s'] / small['plan_s']:.1f}x time",
                f"for {big['size'] / small['size']:.0f}x agents", "")


def time_load(size: int, per_file: bool) -> tuple[float, float]:
    """Wall and CPU time of read_sources + load_estate (what validate does) for `size` agents."""
    entries = [{"name": f"bench-agent-{i:05d}", "owner": "bench", "models": ["bench-model"],
                "max_budget": 10, "budget_duration": "30d", "rpm_limit": 60,
                "metadata": {"team": f"t{i % 7}"}} for i in range(size)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "gateway.yaml").write_text("config_models: [bench-model]\n")
        groups = [[a] for a in entries] if per_file else [entries]
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


def emit(results: dict[str, Any], path: Path | None) -> None:
    """The figures as JSON, printed and (with --json) written."""
    text = json.dumps(results, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n", encoding="utf-8")


def note(result: dict[str, Any]) -> dict[str, Any]:
    """Each figure as soon as it is measured (a long run that fails keeps what it had)."""
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--admin-key")
    parser.add_argument("--apply-size", type=int, default=500)
    parser.add_argument("--latency-size", type=int, default=1000)
    parser.add_argument("--plan-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    parser.add_argument("--only", choices=["apply", "plan", "latency"], nargs="+",
                        default=["apply", "plan", "latency"], help="run only these parts")
    parser.add_argument("--load", action="store_true", help="only time loading desired/")
    args = parser.parse_args()
    if args.load:
        report_load(args.plan_sizes)
        return
    results: dict[str, Any] = {"apply": {}, "plan": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "latency" in args.only:
            results["latency"] = note(bench_latency(args.latency_size, 0.02, work))
        for name, url, key in gateways(args):
            if "apply" in args.only:
                results["apply"][name] = note(bench_apply(url, key, args.apply_size, work / name))
            if "plan" in args.only:
                results["plan"][name] = [note(bench_plan(url, key, n, work / name))
                                         for n in args.plan_sizes]
    table(results)
    emit(results, args.json)


if __name__ == "__main__":
    main()
