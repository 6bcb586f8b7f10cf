"""Team-shaped estates end to end on both gateways: budgets, users, teams with members, team
agents; each declared field changed and applied; a hand-blocked team held; a removed team
blocked with its keys; the pinned key's team unchanged; a gateway built by raw API calls
imported and adopted without re-issuing anything. The fixture checks the pinned and the
unmanaged key are byte-identical afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, run_cli, standard_estate, write_desired


def team_estate(gw: Gateway) -> dict[str, Any]:
    estate = standard_estate(gw)
    m25, m25l = gw.name("MiniMax-M2.5"), gw.name("MiniMax-M2.5-Lightning")
    estate["budgets"] = [{"name": gw.name("shared-small"), "max_budget": 10, "rpm_limit": 5}]
    # Emails are unique across the whole proxy: one per run, so a run stopped before its
    # cleanup leaves nothing the next run collides with.
    estate["users"] = [{"id": gw.name("alice"), "email": f"{gw.prefix}-alice@example.com"},
                       {"id": gw.name("bob"), "role": "internal_user_viewer"}]
    estate["teams"] = [{"name": gw.name("research"), "models": [m25, m25l], "max_budget": 100,
                        "budget_duration": "30d",
                        "members": [{"user": gw.name("alice"), "role": "user"}]}]
    estate["agents"].append(agent(gw, "scout", ["MiniMax-M2.5"], team=gw.name("research"),
                                  budget=gw.name("shared-small")))
    assert m25l
    return estate


def _apply(gw: Gateway, cwd: Path) -> str:
    applied = run_cli(gw, cwd, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    again = run_cli(gw, cwd, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
    return applied.out


def _members(team: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((m["user_id"], m["role"]) for m in team["members_with_roles"])


def test_a_team_estate_is_created_changed_field_by_field_and_settles(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    estate = team_estate(gw)
    desired = write_desired(tmp_path / "desired", estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 0, plan.both
    for line in (f"+ create team {gw.name('research')}", f"+ create user {gw.name('alice')}",
                 f"+ create budget {gw.name('shared-small')}", f"+ create key {gw.name('scout')}"):
        assert line in plan.out
    _apply(gw, tmp_path)
    team = gw.teams()[gw.name("research")]
    # The proxy adds its creator as admin; the plan after apply was empty all the same.
    assert _members(team) == [("default_user_id", "admin"), (gw.name("alice"), "user")]
    key = gw.live_keys()[gw.name("scout")]
    assert key["team_id"] == team["team_id"]
    assert key["budget_id"] == f"reconciler/{gw.prefix}:{gw.name('shared-small')}"
    assert gw.namespace_users()[gw.name("bob")]["user_role"] == "internal_user_viewer"

    # Every declared field of every kind, changed at once.
    estate["teams"][0].update(max_budget=150, rpm_limit=40, tpm_limit=9000, soft_budget=80,
                              budget_duration="7d", metadata={"cost_center": "r1"},
                              model_aliases={"fast": gw.name("MiniMax-M2.5")},
                              members=[{"user": gw.name("alice"), "role": "user"},
                                       {"user": gw.name("bob"), "role": "user"}])
    estate["users"][0].update(email=f"{gw.prefix}-alice2@example.com", alias="Alice")
    estate["users"][1].update(role="internal_user")
    estate["budgets"][0].update(max_budget=12, soft_budget=8, budget_duration="30d",
                                rpm_limit=6, tpm_limit=700, max_parallel_requests=3)
    write_desired(desired, estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json",
                   "--out", "plan.json")
    changed = {(c["kind"], c["target"]) for c in yaml.safe_load(plan.out)["changes"]}
    assert changed == {("team", gw.name("research")), ("user", gw.name("alice")),
                       ("user", gw.name("bob")), ("budget", gw.name("shared-small"))}
    # The reviewed plan itself is applied (the guard checks each of its changes again).
    saved = run_cli(gw, tmp_path, "apply", "plan.json", "--desired", "desired",
                    "--auto-approve")
    assert saved.code == 0, saved.both
    _apply(gw, tmp_path)
    team = gw.teams()[gw.name("research")]
    assert (team["max_budget"], team["rpm_limit"], team["tpm_limit"], team["budget_duration"]) \
        == (150, 40, 9000, "7d")
    assert team["metadata"]["cost_center"] == "r1"
    assert team["litellm_model_table"]["model_aliases"] == {"fast": gw.name("MiniMax-M2.5")}
    assert _members(team) == [("default_user_id", "admin"), (gw.name("alice"), "user"),
                              (gw.name("bob"), "user")]
    alice = gw.namespace_users()[gw.name("alice")]
    assert (alice["user_email"], alice["user_alias"]) == (f"{gw.prefix}-alice2@example.com",
                                                          "Alice")
    budget = gw.budgets()[f"reconciler/{gw.prefix}:{gw.name('shared-small')}"]
    assert (budget["max_budget"], budget["soft_budget"], budget["max_parallel_requests"]) == \
        (12, 8, 3)

    # A member leaves; the creator admin stays (it is the proxy's).
    estate["teams"][0]["members"] = [{"user": gw.name("bob"), "role": "user"}]
    write_desired(desired, estate)
    _apply(gw, tmp_path)
    assert _members(gw.teams()[gw.name("research")]) == [("default_user_id", "admin"),
                                                         (gw.name("bob"), "user")]


def test_a_hand_blocked_team_is_held_and_a_removed_team_is_blocked_with_its_keys(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    estate = team_estate(gw)
    estate["teams"].append({"name": gw.name("ops"), "models": [gw.name("MiniMax-M2.5")]})
    estate["agents"].append(agent(gw, "pager", ["MiniMax-M2.5"], team=gw.name("ops")))
    desired = write_desired(tmp_path / "desired", estate)
    _apply(gw, tmp_path)
    research = gw.teams()[gw.name("research")]
    gw.call("POST", "/team/block", json={"team_id": research["team_id"]})
    held = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert held.code == 0, held.both
    assert f"⏸ held: {gw.name('research')} blocked outside desired/ (by hand); apply keeps " \
        "it blocked" in held.out
    assert "1 team(s) held blocked outside desired/." in held.out
    assert run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve").code == 0
    assert gw.teams()[gw.name("research")]["blocked"] is True

    estate["teams"] = [t for t in estate["teams"] if t["name"] != gw.name("ops")]
    estate["agents"] = [a for a in estate["agents"] if a["name"] != gw.name("pager")]
    write_desired(desired, estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert f"⊘ block team {gw.name('ops')}  # team removed from desired/: blocked, with its " \
        "keys" in plan.out
    assert f"⊘ block key {gw.name('pager')}" in plan.out
    _apply(gw, tmp_path)
    assert gw.teams()[gw.name("ops")]["blocked"] is True
    assert gw.live_keys()[gw.name("pager")]["blocked"] is True


def test_the_pinned_keys_team_is_never_narrowed(gateway: Gateway, tmp_path: Path) -> None:
    gw = gateway
    estate = team_estate(gw)
    desired = write_desired(tmp_path / "desired", estate)
    _apply(gw, tmp_path)
    team = gw.teams()[gw.name("research")]
    # An admin agent's key made inside the team outside the tool, and pinned.
    made = gw.call("POST", "/key/generate", json={"key_alias": gw.name("admin2"),
                                                  "team_id": team["team_id"]})
    pinned_before = gw.key_info(made["token"])
    estate["pinned"].append({"alias": gw.name("admin2")})
    estate["teams"][0]["models"] = [gw.name("MiniMax-M2.5")]
    estate["teams"][0]["blocked"] = True
    write_desired(desired, estate)
    for args in (["plan"], ["apply", "--auto-approve"]):
        refused = run_cli(gw, tmp_path, *args, "--desired", "desired")
        assert refused.code == 1, refused.both
        assert f"team {gw.name('research')!r}: that team belongs to a pinned key: the change " \
            "would narrow its reach (blocked, models)" in refused.err
    after = gw.teams()[gw.name("research")]
    assert (after["models"], after["blocked"]) == (team["models"], False)
    assert gw.key_info(made["token"]) == pinned_before


def test_an_admin_member_needs_enterprise_in_one_line(gateway: Gateway, tmp_path: Path) -> None:
    gw = gateway
    estate = team_estate(gw)
    desired = write_desired(tmp_path / "desired", estate)
    _apply(gw, tmp_path)
    # /team/new takes an admin member; making a member admin later is the premium part.
    estate["teams"][0]["members"] = [{"user": gw.name("alice"), "role": "admin"}]
    write_desired(desired, estate)
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 1
    assert f"team {gw.name('research')!r}: a member with role admin needs LiteLLM Enterprise " \
        "(the proxy answered 400: Assigning team admins is a premium feature); declare the " \
        "member with role: user" in applied.out
    assert "Traceback" not in applied.both


def test_a_gateway_built_by_hand_is_imported_and_adopted(gateway: Gateway, tmp_path: Path) -> None:
    gw = gateway
    m25 = gw.name("MiniMax-M2.5")
    write_desired(tmp_path / "desired", {"settings": {"scope": gw.prefix},
                                         "pinned": [{"alias": gw.pinned_alias},
                                                    {"alias": gw.name("admin2")}],
                                         "config_models": [m25]})
    gw.call("POST", "/budget/new", json={"budget_id": gw.name("small"), "max_budget": 5})
    for user in ("ann", "ben"):
        gw.call("POST", "/user/new", json={"user_id": gw.name(user), "auto_create_key": False})
    teams = {}
    for name in ("alpha", "beta"):
        teams[name] = gw.call("POST", "/team/new", json={
            "team_alias": gw.name(name), "models": [m25], "max_budget": 20})["team_id"]
    gw.call("POST", "/team/member_add", json={"team_id": teams["alpha"],
                                              "member": [{"user_id": gw.name("ann"),
                                                          "role": "user"}]})
    made = gw.call("POST", "/key/generate", json={
        "key_alias": gw.name("worker"), "models": [m25], "team_id": teams["alpha"],
        "budget_id": gw.name("small")})
    # The admin agent's key sits inside a team: the team is adopted, the key never changes.
    admin = gw.call("POST", "/key/generate", json={"key_alias": gw.name("admin2"),
                                                   "team_id": teams["beta"]})
    admin_before = gw.key_info(admin["token"])
    # Only what this test built: the fixture's unmanaged key must stay unmanaged.
    built = ("small", "ann", "ben", "alpha", "beta", "worker")
    imported = run_cli(gw, tmp_path, "import", "--desired", "desired",
                       *(arg for n in built for arg in ("--include", gw.name(n))))
    assert imported.code == 0, imported.both
    assert run_cli(gw, tmp_path, "validate", "--desired", "desired").code == 0
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json")
    verbs = {c["verb"] for c in yaml.safe_load(plan.out)["changes"]}
    assert verbs == {"adopt"}, plan.out
    _apply(gw, tmp_path)
    worker = gw.live_keys()[gw.name("worker")]
    assert (worker["token"], worker["team_id"], worker["budget_id"]) == (
        made["token"], teams["alpha"], gw.name("small"))  # nothing re-issued
    alpha = gw.teams()[gw.name("alpha")]
    assert alpha["team_id"] == teams["alpha"] and alpha["metadata"]["managed_by"]
    assert gw.key_info(admin["token"]) == admin_before
