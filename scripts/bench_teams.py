"""Benchmark: plan a team-shaped estate (teams, users, budgets, keys) against a raw reader.

    python scripts/bench_teams.py                                  # sandbox only (small sizes)
    python scripts/bench_teams.py --base-url URL --admin-key KEY   # a real proxy, full sizes
        [--teams 1000 --users 5000 --keys 10000]                   # (seeded once, kept)
    python scripts/bench_teams.py --base-url URL --admin-key KEY --cleanup   # delete bench-*

Not a test: it prints a table, then the same figures as JSON. The estate: teams of five
users each, every key belonging to a team, one of its users and one of ten shared budgets.
Seeding is `reconciler apply` of that desired/ (batches, so a stopped run resumes where it
was: each batch creates only what is missing); the plan that follows must be empty.

Measured, taking turns, best and median of REPS each:
- plan: reading the gateway and diffing (what `plan` does after reading desired/), in this
  process; its requests by path; and the whole `reconciler plan` command in a process of its
  own (wall time and peak memory).
- raw: an httpx client reading every list the plan reads, at the largest page sizes the
  proxy takes: page 1 of each list at once, then every other page 8 in flight.
The targets: plan within 1.2x of raw, requests <= raw pages + 5.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from bench import IN_FLIGHT, REPS, RSS_PROBE, emit, http, note, sandbox_process

from reconciler.commands.cli import main as cli_main
from reconciler.commands.common import read_live
from reconciler.commands.sources import read_sources
from reconciler.core.engine.planner import plan_changes, reads
from reconciler.core.input.loader import load_estate
from reconciler.gateway.client import GatewayClient
from reconciler.sandbox import DEFAULT_MASTER_KEY

SCOPE = "bench-teams"
PREFIX = "bench-"
MEMBERS = 5  # users per team
BUDGETS = 10
PAGE = 100  # the largest page /key/list, /user/list and /v2/team/list take (LiteLLM 1.108.7)
Row = dict[str, Any]


# -- the estate ----------------------------------------------------------------------------------
def estate_data(teams: int, users: int, keys: int) -> dict[str, Any]:
    """desired/ as one mapping: user u is a member of team u // MEMBERS (mod teams); key i
    belongs to user i mod users, that user's team, and budget i mod BUDGETS."""
    def team_of(u: int) -> int:
        return (u // MEMBERS) % teams

    members: dict[int, list[dict[str, str]]] = collections.defaultdict(list)
    for u in range(users):
        members[team_of(u)].append({"user": f"{PREFIX}user-{u:05d}", "role": "user"})
    return {
        "settings": {"scope": SCOPE},
        "config_models": ["bench-model"],
        "budgets": [{"name": f"{PREFIX}budget-{b:02d}", "max_budget": 50}
                    for b in range(BUDGETS)],
        "users": [{"id": f"{PREFIX}user-{u:05d}", "alias": f"Bench user {u}"}
                  for u in range(users)],
        "teams": [{"name": f"{PREFIX}team-{t:04d}", "models": ["bench-model"],
                   "max_budget": 100, "members": members[t]} for t in range(teams)],
        "agents": [{"name": f"{PREFIX}agent-{i:05d}", "owner": "bench",
                    "models": ["bench-model"], "max_budget": 10,
                    "team": f"{PREFIX}team-{team_of(i % users):04d}",
                    "user": f"{PREFIX}user-{i % users:05d}",
                    "budget": f"{PREFIX}budget-{i % BUDGETS:02d}"} for i in range(keys)],
    }


def write_desired(root: Path, data: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.yaml"):
        old.unlink()
    (root / "estate.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def run_cli(url: str, key: str, argv: list[str]) -> tuple[int, str]:
    os.environ["LITELLM_ADMIN_KEY"] = key
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli_main([*argv, "--base-url", url])
    return code, out.getvalue()


def seeded_keys(url: str, key: str) -> int:
    with http(url, key) as client:
        return int(client.get("/key/list", params={
            "key_alias": f"{PREFIX}agent-", "substring_matching": "true", "size": 1,
        }).json()["total_count"])


def seed(url: str, key: str, data: dict[str, Any], work: Path, step: int) -> float:
    """`reconciler apply` of the estate, growing by `step` keys per batch: the users, teams
    and budgets go in with the first batch, then keys. A run stopped half way resumes with
    the batch it was in (never a smaller one: its plan would block the keys past it).
    Returns seconds taken."""
    start = time.perf_counter()
    keys = data["agents"]
    have = seeded_keys(url, key)
    for end in [e for e in [*range(step, len(keys), step), len(keys)] if e >= have]:
        desired = write_desired(work / "seed" / "desired", {**data, "agents": keys[:end]})
        if run_cli(url, key, ["plan", "--desired", str(desired), "--detailed-exitcode"])[0] == 0:
            continue
        code, out = run_cli(url, key, [
            "apply", "--desired", str(desired), "--auto-approve", "--force",
            "--secrets-out", str(work / "secrets.jsonl"), "--report", str(work / "report.json")])
        if code != 0:
            raise SystemExit(f"seeding failed at {end} keys: {out[-2000:]}")
        print(f"seeded {end:,} of {len(keys):,} keys ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)
    return time.perf_counter() - start


def cleanup(url: str, key: str) -> None:
    """Every bench-* key, team, user and budget gone (raw calls: much faster than an apply
    of deletes, which blocks each key first). Batches one at a time: the real proxy's bulk
    deletes deadlock each other in Postgres."""
    lists, _ = raw_lists(url, key)
    doomed = {
        "/key/delete": ("keys", [r["token"] for r in lists["/key/list"]
                                 if str(r.get("key_alias") or "").startswith(PREFIX)]),
        "/team/delete": ("team_ids", [r["team_id"] for r in lists["/v2/team/list"]
                                      if str(r.get("team_alias") or "").startswith(PREFIX)]),
        "/user/delete": ("user_ids", [r["user_id"] for r in lists["/user/list"]
                                      if str(r.get("user_id") or "").startswith(PREFIX)]),
    }
    with http(url, key) as client:
        for path, (field, ids) in doomed.items():
            for i in range(0, len(ids), 100):
                for _ in range(3):
                    if client.post(path, json={field: ids[i:i + 100]}).is_success:
                        break
        for row in lists["/budget/list"]:
            if PREFIX in str(row.get("budget_id")):
                client.post("/budget/delete", json={"id": row["budget_id"]})


# -- raw reader ----------------------------------------------------------------------------------
# Every list a plan of this estate reads (see the requests by path), as (path, params, rows):
# `rows` names the field holding a page's rows, None for an answer that is the whole list.
PAGED = (
    ("/key/list", {"return_full_object": "true", "size": PAGE}, "keys"),
    ("/user/list", {"page_size": PAGE}, "users"),
    ("/v2/team/list", {"page_size": PAGE}, "teams"),
    ("/user/list", {"role": "proxy_admin", "page_size": PAGE}, "users"),  # who wrote what
)
WHOLE = ("/budget/list", "/model/info")


def _pages(path: str, first: Row) -> int:
    if "total_pages" in first:
        return int(first["total_pages"] or 1)
    return math.ceil(int(first["total_count"]) / PAGE)


def raw_lists(url: str, key: str) -> tuple[dict[str, list[Row]], int]:
    """Page 1 of every list and the whole lists at once, then all other pages IN_FLIGHT at a
    time: the rows of each path (the proxy admins among /user/list's), and the pages read."""
    def get(path: str, params: Row) -> Any:
        response = client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    with http(url, key) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        firsts = [pool.submit(get, p, {**q, "page": 1}) for p, q, _ in PAGED]
        wholes = {p: pool.submit(get, p, {}) for p in WHOLE}
        rest = [(i, pool.submit(get, p, {**q, "page": n}))
                for i, (p, q, _) in enumerate(PAGED)
                for n in range(2, _pages(p, firsts[i].result()) + 1)]
        rows: dict[str, list[Row]] = {p: [] for p, _, _ in PAGED}
        for (path, _, field), first in zip(PAGED, firsts, strict=True):
            rows[path] += first.result()[field]
        for i, page in rest:
            rows[PAGED[i][0]] += page.result()[PAGED[i][2]]
        for path, answer in wholes.items():
            body = answer.result()
            rows[path] = body if isinstance(body, list) else body.get("data", [])
    return rows, len(firsts) + len(rest) + len(wholes)


def raw_reader(url: str, key: str) -> tuple[float, int]:
    """Seconds to read every list, and how many pages that took."""
    start = time.perf_counter()
    _, pages = raw_lists(url, key)
    return time.perf_counter() - start, pages


# -- plan ----------------------------------------------------------------------------------------
class Counting(httpx.HTTPTransport):
    """The requests a client makes, by path."""

    def __init__(self) -> None:
        super().__init__(limits=httpx.Limits(max_connections=IN_FLIGHT + 2))
        self.paths: collections.Counter[str] = collections.Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths[request.url.path] += 1
        return super().handle_request(request)


def timed_plan(url: str, key: str, desired: Path) -> tuple[float, int, int, dict[str, int]]:
    """What `plan` does after reading desired/: read the gateway (the kinds it declares),
    diff. Seconds, requests, changes, requests by path."""
    estate = load_estate(read_sources(desired))
    transport = Counting()
    with GatewayClient(url, key, transport=transport) as client:
        start = time.perf_counter()
        plan = plan_changes(estate, read_live(client, reads(estate)))
        elapsed = time.perf_counter() - start
        return elapsed, client.request_count, len(plan.changes), dict(transport.paths)


def plan_process(url: str, key: str, desired: Path) -> tuple[float, float]:
    """The whole `reconciler plan` in a process of its own: seconds and peak MB (VmHWM)."""
    env = {**os.environ, "LITELLM_BASE_URL": url, "LITELLM_ADMIN_KEY": key}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RSS_PROBE, "plan", "--desired", str(desired)],
                          env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"plan failed: {proc.stderr[-2000:]}")
    return elapsed, int(proc.stderr.rsplit("maxrss", 1)[1]) / 1024


def bench(url: str, key: str, sizes: tuple[int, int, int], work: Path,
          seed_only: bool = False) -> dict[str, Any]:
    data = estate_data(*sizes)
    seed_s = seed(url, key, data, work, step=max(1000, sizes[2] // 5))
    if seed_only:
        return {"teams": sizes[0], "users": sizes[1], "keys": sizes[2], "seed_s": seed_s}
    desired = write_desired(work / "desired", data)
    plans, raws, procs = [], [], []
    for _ in range(REPS):  # in turns, so neither profits from a warmer gateway
        plans.append(timed_plan(url, key, desired))
        raws.append(raw_reader(url, key))
        procs.append(plan_process(url, key, desired))
    plan_s = [p[0] for p in plans]
    raw_s = [r[0] for r in raws]
    pages = raws[0][1]
    return {
        "teams": sizes[0], "users": sizes[1], "keys": sizes[2], "seed_s": seed_s,
        "plan_s": min(plan_s), "plan_median_s": statistics.median(plan_s),
        "raw_s": min(raw_s), "raw_median_s": statistics.median(raw_s),
        "ratio": min(plan_s) / min(raw_s),
        "ratio_median": statistics.median(plan_s) / statistics.median(raw_s),
        "requests": plans[0][1], "raw_pages": pages, "request_limit": pages + 5,
        "changes": plans[0][2], "requests_by_path": plans[0][3],
        "command_s": min(p[0] for p in procs), "peak_rss_mb": max(p[1] for p in procs),
        "runs": {"plan_s": plan_s, "raw_s": raw_s, "command_s": [p[0] for p in procs]},
    }


# -- report --------------------------------------------------------------------------------------
def gateways(args: argparse.Namespace) -> Iterator[tuple[str, str, str, tuple[int, int, int]]]:
    if not args.real_only:
        with sandbox_process() as url:
            yield "sandbox", url, DEFAULT_MASTER_KEY, tuple(args.sandbox_sizes)
    if args.base_url and args.admin_key:
        yield "real", args.base_url, args.admin_key, (args.teams, args.users, args.keys)


def table(results: dict[str, Any]) -> None:
    for name, res in results.items():
        print(" | ".join([
            name, f"plan {res['teams']:,} teams, {res['users']:,} users, {res['keys']:,} keys",
            f"{res['plan_s']:.2f} s (median {res['plan_median_s']:.2f})",
            f"raw x{IN_FLIGHT}: {res['raw_s']:.2f} s (median {res['raw_median_s']:.2f})",
            f"{res['ratio']:.2f}x raw, median {res['ratio_median']:.2f}x (target <= 1.2x); "
            f"{res['requests']} requests (limit {res['raw_pages']} pages + 5); "
            f"{res['changes']} changes; whole command {res['command_s']:.2f} s, "
            f"peak {res['peak_rss_mb']:.0f} MB"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--admin-key")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=10000)
    parser.add_argument("--sandbox-sizes", type=int, nargs=3, default=[200, 1000, 2000],
                        metavar=("TEAMS", "USERS", "KEYS"))
    parser.add_argument("--real-only", action="store_true", help="skip the sandbox")
    parser.add_argument("--cleanup", action="store_true",
                        help="only delete the bench-* objects of --base-url")
    parser.add_argument("--seed-only", action="store_true", help="seed, measure nothing")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    if args.cleanup:
        cleanup(args.base_url, args.admin_key)
        return
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, url, key, sizes in gateways(args):
            results[name] = note(bench(url, key, sizes, Path(tmp) / name, args.seed_only))
    if args.seed_only:
        return
    table(results)
    emit(results, args.json)


if __name__ == "__main__":
    main()
