"""The scenes of SKILL.md, played with exactly the commands it tells the admin agent to run.

On both gateways, with real priced traffic through tests/upstream.py (`Good` answers, `Busy`
answers 529 and falls back to `Good`): a new agent goes live, its abnormal usage is flagged and
stopped, the month's spend is reconciled, and the 529 fallbacks show in health; a new team goes
live with its agents (its desired/ entry read from SKILL.md), goes over budget, is flagged,
checked for the month against the gateway's own team figures, and is stopped through desired/.
The real proxy writes spend 10-15 s late: one bounded poll per test waits for it, once.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, agent, model, read_secrets, run_cli, write_desired
from tests.e2e.test_observe import (
    ALERT,
    COST,
    _chat,
    _deploy,
    _fallen_back,
    _mine,
    _reapply,
)
from tests.e2e.test_observe import restored_fallbacks as restored_fallbacks  # a fixture
from tests.e2e.test_observe import upstream as upstream  # a fixture
from tests.upstream import FakeUpstream

SETTLE_SECONDS = 90


def _read(gw: Gateway, cwd: Path, *args: str) -> Result:
    """A read-only command; the real proxy is shared, and a key another suite creates while
    /key/list is paged makes the tool refuse the torn read and say "run again": it is run again."""
    for _ in range(3):
        result = run_cli(gw, cwd, *args)
        if "run again" not in result.err:
            return result
    return result


def _settled(gw: Gateway, cwd: Path, name: str, requests: int) -> None:
    """Poll (bounded) until the gateway wrote every request and the key's spend counter."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        result = _read(gw, cwd, "usage", "--desired", "desired", "--format", "json")
        mine = _mine(json.loads(result.out), gw).get(name) if result.out else None
        if mine and mine["requests"] == requests and \
                mine["budget_spend"] == pytest.approx(mine["spend"], rel=1e-6):
            return
        time.sleep(3)


def _estate(gw: Gateway, good: str, busy: str) -> dict[str, Any]:
    return {
        "settings": {"scope": gw.prefix},
        "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [good, busy],
        "fallbacks": {busy: [good]},
        "agents": [agent(gw, "calm", ["Good"], max_budget=1)],
    }


def _plan(gw: Gateway, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = _read(gw, cwd, "plan", "--desired", "desired", "--format", "json",
                   "--detailed-exitcode")
    assert result.code in (0, 2), result.both
    return result.code, json.loads(result.out)


def _ours(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The plan's changes but fallbacks: the real proxy's fallbacks are gateway-wide, and a
    suite sharing it may replace ours at any moment."""
    return [(c["action"], c["target"]) for c in plan["changes"] if c["kind"] != "routing"]


def _scene_new_agent(gw: Gateway, cwd: Path, name: str, good: str, busy: str) -> str:
    """场景 1: agent add → the plan shows the create → apply with a sink → the key works."""
    added = run_cli(gw, cwd, "agent", "add", name, "--models", f"{good},{busy}",
                    "--owner", "sileya", "--budget", "1", "--budget-duration", "30d",
                    "--rpm", "60", "--desired", "desired")
    # Written and valid; the plan it then shows is a read of the shared proxy (see _read).
    assert added.code == 0 or "run again" in added.err, added.both
    assert (cwd / "desired" / "agents" / f"{name}.yaml").is_file()
    code, plan = _plan(gw, cwd)
    assert code == 2 and _ours(plan) == [("create_key", name)]
    applied = run_cli(gw, cwd, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "vault.jsonl", "--report", "report.json")
    assert applied.code == 0, applied.both
    secrets = {s["agent"]: s["key"] for s in read_secrets(cwd / "vault.jsonl")}
    assert set(secrets) == {name} and secrets[name] not in applied.both
    report = json.loads((cwd / "report.json").read_text(encoding="utf-8"))
    assert report["ok"] and ("create_key", name) in {(s["action"], s["target"])
                                                     for s in report["steps"]}
    live = gw.keys_by_alias(name)
    assert len(live) == 1 and not live[0].get("blocked")
    assert _chat(gw, secrets[name], good, 1) == [200]
    return secrets[name]


def _scene_abnormal(gw: Gateway, cwd: Path, name: str, key: str, good: str, busy: str) -> int:
    """场景 2: traffic → usage flags it (exit 3) → block → agent set --blocked true → apply."""
    assert _chat(gw, key, good, 9) == [200] * 9
    busy_codes = _fallen_back(gw, cwd, key, busy)
    sent = 10 + len(busy_codes)
    _settled(gw, cwd, name, sent)
    usage = _read(gw, cwd, "usage", "--format", "json", "--budget-alert", ALERT,
                    "--baseline", ".usage-baseline.json", "--save-baseline",
                    ".usage-baseline.json", "--desired", "desired")
    assert usage.code == 3, usage.both
    data = json.loads(usage.out)
    flagged = {f["name"] for f in data["flags"] if f["kind"] == "budget"}
    assert name in flagged and gw.name("calm") not in flagged
    assert _mine(data, gw)[name]["requests"] == sent

    blocked = run_cli(gw, cwd, "block", name, "--reason", "用量异常:一小时内花费超过预算 80%",
                      "--desired", "desired")
    assert blocked.code == 0, blocked.both
    assert _chat(gw, key, good, 1) == [401] and gw.keys_by_alias(name)[0]["blocked"]
    _, plan = _plan(gw, cwd)
    assert name in {h["name"] for h in plan["holds"]} and _ours(plan) == []

    marked = run_cli(gw, cwd, "agent", "set", name, "--blocked", "true", "--desired", "desired")
    assert marked.code == 0, marked.both
    _reapply(gw, cwd)
    code, plan = _plan(gw, cwd)
    assert _ours(plan) == [] and name not in {h["name"] for h in plan["holds"]}
    if gw.kind == "sandbox":
        assert code == 0 and plan["changes"] == []
    assert _chat(gw, key, good, 1) == [401]
    return len(busy_codes)


def test_the_four_scenes_of_the_skill(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream, restored_fallbacks: None
) -> None:
    gw = gateway
    good, busy = _deploy(gw, upstream)
    write_desired(tmp_path / "desired", _estate(gw, good, busy))
    first = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                    "--secrets-out", "first.jsonl")
    assert first.code == 0, first.both
    name = gw.name("王五")

    key = _scene_new_agent(gw, tmp_path, name, good, busy)
    busy_sent = _scene_abnormal(gw, tmp_path, name, key, good, busy)

    # 场景 3: 月初对账. The month's spend per agent is what the test spent: 12 answered replies.
    month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
    monthly = _read(gw, tmp_path, "usage", "--month", month, "--format", "json",
                      "--desired", "desired")
    assert monthly.code in (0, 3), monthly.both
    mine = _mine(json.loads(monthly.out), gw)
    assert mine[name]["spend"] == pytest.approx(12 * COST, rel=1e-9)
    # The refused requests after the block may be logged too (the sandbox does): at least.
    assert mine[name]["owner"] == "sileya" and mine[name]["requests"] >= 10 + busy_sent
    table = _read(gw, tmp_path, "usage", "--month", month, "--format", "markdown",
                    "--desired", "desired")
    assert table.code in (0, 3) and name in table.out

    # 场景 4: 529 高峰期. Fallbacks in force as desired/ says, and the 529s that fell back.
    _reapply(gw, tmp_path)
    health = _read(gw, tmp_path, "health", "--format", "json", "--desired", "desired")
    assert health.code == 0, health.both
    report = json.loads(health.out)
    assert {c["name"]: c["level"] for c in report["checks"]}["fallbacks"] == "ok"
    activity = report["fallback_activity"][busy]
    assert activity["fell_back"] == 2 and activity["to"] == {good: 2}
    assert activity["requests"] == busy_sent and activity["failed"] == busy_sent - 2


def test_import_prints_a_json_summary_of_what_it_wrote(gateway: Gateway, tmp_path: Path) -> None:
    """Not a scene, but the skill reads `import --format json` too: the summary as data."""
    gw = gateway
    write_desired(tmp_path / "desired", {
        "settings": {"scope": gw.prefix}, "pinned": [{"alias": gw.pinned_alias}],
        "models": [model(gw, "m25", "MiniMax-M2.5")],
        "agents": [agent(gw, "calm", ["MiniMax-M2.5"], max_budget=1)]})
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    raw = read_secrets(tmp_path / "s.jsonl")[0]["key"]
    imported = run_cli(gw, tmp_path, "import", "--desired", "empty", "--out", "imported",
                       "--include", f"{gw.prefix}-*", "--format", "json")
    assert imported.code == 0, imported.both
    data = json.loads(imported.out)
    assert data["format_version"] == 1 and raw not in imported.both
    names = {a["name"] for a in data["agents"]}
    assert gw.unmanaged_alias in names and gw.name("calm") not in names  # another scope's
    assert data["models"] == []  # the deployment is marked with another scope too
    assert all((tmp_path / p).is_file() for p in data["written"])


TEAM_ALERT = "0.0002"  # four replies are 0.0288 % of a team budget of 1: over it


SKILL = Path(__file__).resolve().parents[2] / "SKILL.md"


def _skill_team() -> dict[str, Any]:
    """The team entry of desired/teams.yaml that SKILL.md's scene 5 writes."""
    scene = SKILL.read_text(encoding="utf-8").split("## 场景 5", 1)[1]
    block = scene.split("```yaml\n", 1)[1].split("```", 1)[0]
    (entry,) = yaml.safe_load(block)["teams"]
    assert set(entry) == {"name", "models", "max_budget", "budget_duration"}, entry
    return dict(entry)


def _team_yaml(team: str, good: str, *, max_budget: float = 1, blocked: bool = False) -> str:
    """SKILL.md's team entry with this run's names; a budget of 1, which four replies take
    over TEAM_ALERT."""
    entry = {**_skill_team(), "name": team, "models": [good], "max_budget": max_budget}
    return yaml.safe_dump({"teams": [{**entry, **({"blocked": True} if blocked else {})}]},
                          allow_unicode=True, sort_keys=False)


def _team_month(gw: Gateway, cwd: Path, month: str, requests: int, spend: float
                ) -> dict[str, Any]:
    """The month check per team, polled (bounded) until the gateway wrote the team's requests
    and its spend counter (the real proxy writes both 10-15 s late)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result = _read(gw, cwd, "usage", "--month", month, "--format", "json")
        team = json.loads(result.out)["reconciliation"]["teams"][0] if result.out else {}
        counter = team.get("team_counter") or {}
        if (team.get("gateway_logged_requests") == requests
                and counter.get("spend") == pytest.approx(spend, rel=1e-6)) \
                or time.monotonic() > deadline:
            return team
        time.sleep(3)


def _scene_new_team(gw: Gateway, cwd: Path, team: str, agents: list[str], good: str
                    ) -> dict[str, str]:
    """场景 5: desired/teams.yaml + agent add --team → validate → plan → apply."""
    (cwd / "desired" / "teams.yaml").write_text(_team_yaml(team, good), encoding="utf-8")
    for name in agents:
        added = run_cli(gw, cwd, "agent", "add", name, "--team", team, "--models", good,
                        "--owner", "sileya", "--budget", "30")
        # Written and valid; the plan it then shows is a read of the shared proxy (see _read).
        assert added.code == 0 or "run again" in added.err, added.both
        assert f"+ create team {team}" in added.out or "run again" in added.err
    validated = run_cli(gw, cwd, "validate")
    assert validated.code == 0, validated.both
    code, plan = _plan(gw, cwd)
    assert code == 2 and _ours(plan) == [("create_team", team)] + [
        ("create_key", name) for name in sorted(agents)]
    text = _read(gw, cwd, "plan")
    assert f"+ create team {team}" in text.out and f"+ create key {agents[0]}" in text.out
    applied = run_cli(gw, cwd, "apply", "--auto-approve", "--secrets-out", "team.jsonl")
    assert applied.code == 0, applied.both
    live = gw.teams()[team]
    assert {gw.keys_by_alias(n)[0]["team_id"] for n in agents} == {live["team_id"]}
    return {s["agent"]: s["key"] for s in read_secrets(cwd / "team.jsonl")}


def test_the_team_scenes_of_the_skill(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream
) -> None:
    """场景 5 and 6: a new team with two agents goes live; their priced traffic takes the team
    over --budget-alert; usage flags the team; the month check per team matches the gateway's
    own team figures; the budget is raised, then the team is blocked, through desired/."""
    gw = gateway
    good, busy = _deploy(gw, upstream)
    write_desired(tmp_path / "desired", {"settings": {"scope": gw.prefix},
                                         "pinned": [{"alias": gw.pinned_alias}],
                                         "config_models": [good, busy]})
    team, scout, miner = gw.name("research"), gw.name("张三"), gw.name("李四")
    keys = _scene_new_team(gw, tmp_path, team, [scout, miner], good)
    assert _chat(gw, keys[scout], good, 3) == [200] * 3
    assert _chat(gw, keys[miner], good, 1) == [200]

    # 场景 6: the month check per team, once the gateway wrote everything.
    month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
    checked = _team_month(gw, tmp_path, month, 4, 4 * COST)
    team_id = gw.teams()[team]["team_id"]
    counter = checked["team_counter"]
    assert (checked["name"], checked["team_id"], checked["report_requests"]) == (team, team_id, 4)
    assert checked["report_spend"] == pytest.approx(4 * COST, rel=1e-9)
    assert checked["gateway_logged_spend"] == pytest.approx(4 * COST, rel=1e-9)
    assert (checked["matches"], checked["keys_differing"]) == (True, {})
    assert counter["spend"] == pytest.approx(4 * COST, rel=1e-9)
    assert (counter["compared"], counter["matches"]) == (True, True)
    table = _read(gw, tmp_path, "usage", "--month", month, "--format", "markdown")
    assert f"- Team `{team}` (team_id `{team_id}`): its agents' keys 0.000288 spend, " \
        "4 requests\n" in table.out
    assert "  - the gateway's spend logs of the month for the team (each request carries the " \
        "team_id of its key): 0.000288, 4 requests: matches\n" in table.out
    assert "  - the team's own spend counter (/v2/team/list `spend`, what LiteLLM checks " \
        f"max_budget against), {counter['window']} since {counter['since']}: 0.000288: " \
        "matches\n" in table.out

    plain = _read(gw, tmp_path, "usage", "--month", month)
    assert f"\n  Team {team} (team_id {team_id}): its agents' keys 0.000288 spend, 4 requests\n" \
        "    - the gateway's spend logs of the month for the team (each request carries the " \
        "team_id of its key): 0.000288, 4 requests: matches\n" in plain.out

    # A key put in the team by hand spends too: the gateway's figures differ, and say by whom.
    hand = gw.name("by-hand")
    made = gw.call("POST", "/key/generate", json={"key_alias": hand, "team_id": team_id,
                                                  "models": [good]})
    assert _chat(gw, made["key"], good, 1) == [200]
    checked = _team_month(gw, tmp_path, month, 5, 5 * COST)
    assert checked["report_spend"] == pytest.approx(4 * COST, rel=1e-9)
    assert checked["gateway_logged_spend"] == pytest.approx(5 * COST, rel=1e-9)
    assert (checked["matches"], checked["difference"]) == (False, pytest.approx(COST, rel=1e-6))
    assert checked["keys_differing"] == {made["token"]: {
        "gateway": pytest.approx(COST, rel=1e-6), "report": 0.0, "key": f"{hand} (unmanaged)"}}
    assert (checked["team_counter"]["compared"], checked["team_counter"]["matches"]) == \
        (True, False)
    plain = _read(gw, tmp_path, "usage", "--month", month)
    assert "team_id of its key): 0.00036, 5 requests: differs by 7.2e-05\n" \
        f"      - key {made['token'][:12]}… {hand} (unmanaged): gateway 7.2e-05, report 0\n" \
        in plain.out

    # The team over budget: flagged (exit 3) with the step; the agents are not.
    usage = _read(gw, tmp_path, "usage", "--format", "json", "--budget-alert", TEAM_ALERT)
    assert usage.code == 3, usage.both
    data = json.loads(usage.out)
    assert [(f["name"], f["kind"], f["reason"]) for f in data["flags"]] == [
        (team, "team-budget", "its agents spent 0.0288 % of the team's budget (0.000288 of 1)")]
    assert {t["name"]: (t["requests"], t["budget_used"]) for t in data["teams"]} == {
        team: (4, 0.0003)}
    text = _read(gw, tmp_path, "usage", "--budget-alert", TEAM_ALERT)
    assert text.code == 3 and f"  ! {team} [team-budget]: its agents spent 0.0288 %" in text.out

    # Either way out is a desired/ change: the budget raised, then the team blocked.
    teams_file = tmp_path / "desired" / "teams.yaml"
    teams_file.write_text(_team_yaml(team, good, max_budget=2), encoding="utf-8")
    _reapply(gw, tmp_path)
    calm = _read(gw, tmp_path, "usage", "--format", "json", "--budget-alert", TEAM_ALERT)
    assert calm.code == 0 and json.loads(calm.out)["flags"] == [], calm.both
    teams_file.write_text(_team_yaml(team, good, max_budget=2, blocked=True), encoding="utf-8")
    assert f"⊘ block team {team}" in _read(gw, tmp_path, "plan").out
    _reapply(gw, tmp_path)
    assert gw.teams()[team]["blocked"] is True
    code, plan = _plan(gw, tmp_path)
    assert code == 0 and plan["changes"] == []
