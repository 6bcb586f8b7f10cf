"""An agent's key fields beyond models and limits, end to end on both gateways: declared,
applied and read back where the proxy keeps them (the soft budget in the key's budget row,
per-model limits in its metadata); each changed; cleared; an agent leaving its team; tags
refused in one line by a proxy without a licence. The fixture checks the pinned and the
unmanaged key are byte-identical afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.gateways import Gateway
from tests.e2e.harness import (
    agent,
    apply_and_settle,
    model,
    read_secrets,
    run_cli,
    standard_estate,
    write_desired,
)


def _estate(gw: Gateway) -> tuple[dict[str, Any], dict[str, Any]]:
    estate = standard_estate(gw)
    m25 = gw.name("MiniMax-M2.5")
    estate["teams"] = [{"name": gw.name("research"), "models": [m25]}]
    scout = agent(gw, "scout", ["MiniMax-M2.5"], team=gw.name("research"), soft_budget=4,
                  max_parallel_requests=3, model_rpm_limit={m25: 10},
                  model_tpm_limit={m25: 1000}, allowed_routes=["llm_api_routes"],
                  aliases={"fast": m25})
    estate["agents"].append(scout)
    return estate, scout


def _soft_budget(gw: Gateway, key: dict[str, Any]) -> Any:
    # /key/list joins the key's budget row: where the proxy keeps a key's soft budget.
    return (key.get("litellm_budget_table") or {}).get("soft_budget")


def test_key_fields_are_applied_changed_cleared_and_an_agent_leaves_its_team(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    estate, scout = _estate(gw)
    desired = write_desired(tmp_path / "desired", estate)
    apply_and_settle(gw, tmp_path)
    key = gw.live_keys()[scout["name"]]
    m25 = gw.name("MiniMax-M2.5")
    assert (key["max_parallel_requests"], _soft_budget(gw, key)) == (3, 4.0)
    assert (key["allowed_routes"], key["aliases"]) == (["llm_api_routes"], {"fast": m25})
    assert key["metadata"]["model_rpm_limit"] == {m25: 10}
    assert key["metadata"]["model_tpm_limit"] == {m25: 1000}
    team_id = key["team_id"]
    assert team_id

    # Each field changed, two cleared, and the agent leaves its team, in one apply.
    scout.update(soft_budget=6, max_parallel_requests=5, model_rpm_limit={m25: 20},
                 allowed_routes=[], aliases={})
    del scout["team"]
    write_desired(desired, estate)
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 0, plan.both
    assert f"~ update key {scout['name']}" in plan.out
    for shown in ("max_parallel_requests: 3 → 5", "soft_budget: 4 → 6", "team_id: \""):
        assert shown in plan.out, plan.out
    apply_and_settle(gw, tmp_path)
    key = gw.live_keys()[scout["name"]]
    assert (key["max_parallel_requests"], _soft_budget(gw, key)) == (5, 6.0)
    assert (key["allowed_routes"], key["aliases"], key["team_id"]) == ([], {}, None)
    assert key["metadata"]["model_rpm_limit"] == {m25: 20}
    assert gw.teams()[gw.name("research")]["team_id"] == team_id  # the team itself stays

    # Undeclared, a field is not the tool's: changed by hand, it stays as the gateway has it.
    del scout["max_parallel_requests"]
    write_desired(desired, estate)
    apply_and_settle(gw, tmp_path)  # only the tool's record changes: the field is let go
    gw.call("POST", "/key/update", json={"key": key["token"], "max_parallel_requests": 9})
    settled = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert settled.code == 0, settled.both

    # tags are Enterprise: the proxy refuses them, and apply says so in one line.
    scout["tags"] = ["prod"]
    write_desired(desired, estate)
    refused = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert refused.code == 1, refused.both
    assert "tags: a LiteLLM Enterprise feature (this proxy has no licence)" in refused.both
    assert "Traceback" not in refused.both and "trial" not in refused.both
    key = gw.live_keys()[scout["name"]]
    assert "tags" not in key["metadata"] and key["max_parallel_requests"] == 9


def _chat(gw: Gateway, raw: str, model: str) -> httpx.Response:
    with httpx.Client(base_url=gw.base_url, timeout=30) as http:
        return http.post("/chat/completions", headers={"Authorization": f"Bearer {raw}"},
                         json={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def test_a_blocked_teams_keys_are_refused_as_soon_as_apply_returns(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    estate = standard_estate(gw)
    mock = gw.name("mock-model")
    estate["models"].append(model(gw, "mock", "mock-model", mock_response="hi"))
    estate["teams"] = [{"name": gw.name("ops"), "models": [mock]}]
    estate["agents"] = [agent(gw, "runner", ["mock-model"], team=gw.name("ops"))]
    desired = write_desired(tmp_path / "desired", estate)
    apply_and_settle(gw, tmp_path)
    (secret,) = read_secrets(tmp_path / "s.jsonl")
    served = _chat(gw, secret["key"], mock)
    assert served.status_code == 200, served.text  # the team's copy is now in its cache

    estate["teams"][0]["blocked"] = True
    write_desired(desired, estate)
    apply_and_settle(gw, tmp_path)
    refused = _chat(gw, secret["key"], mock)
    assert refused.status_code == 401, refused.text
    assert "is blocked. Update via `/team/unblock`" in refused.json()["error"]["message"]

    estate["teams"][0]["blocked"] = False
    write_desired(desired, estate)
    apply_and_settle(gw, tmp_path)
    assert _chat(gw, secret["key"], mock).status_code == 200
