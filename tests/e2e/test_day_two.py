"""Issue 19 ("day two") end to end, on both gateways: what an operator hits in week one."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, apply_and_settle, read_secrets, run_cli, write_desired
from tests.e2e.test_observe import PRICE, SETTLE_SECONDS, _chat, _deploy, _fallen_back, _reapply
from tests.upstream import FakeUpstream


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def test_block_and_unblock_work_while_other_files_are_broken(
    gateway: Gateway, desired: Path
) -> None:
    gw, cwd = gateway, desired.parent
    apply_and_settle(gw, cwd)
    name = gw.name("李狗蛋")
    # Another team's typo and a file that does not even parse: validate refuses the tree...
    (desired / "agents" / "other.yaml").write_text(
        "agents:\n  - name: other\n    owner: x\n    modles: [M]\n", encoding="utf-8")
    (desired / "agents" / "broken.yaml").write_text("agents:\n  - {name: [x\n",
                                                     encoding="utf-8")
    assert run_cli(gw, cwd, "validate", "--desired", "desired").code == 1
    # ...and the emergency block still goes through, saying why it could.
    blocked = run_cli(gw, cwd, "block", name, "--reason", "spend spike", "--desired", "desired")
    assert blocked.code == 0, blocked.both
    assert "desired/ is invalid" in blocked.err and "pinned keys, scope" in blocked.err
    assert gw.keys_by_alias(name)[0]["blocked"] is True
    # The pinned key is still refused, from the pinned list alone.
    pinned = run_cli(gw, cwd, "block", gw.pinned_alias, "--reason", "x", "--desired", "desired")
    assert pinned.code == 1 and "pinned" in pinned.err
    unblocked = run_cli(gw, cwd, "unblock", name, "--desired", "desired")
    assert unblocked.code == 0, unblocked.both
    assert not gw.keys_by_alias(name)[0]["blocked"]


def test_block_refuses_when_the_pinned_list_itself_is_broken(
    gateway: Gateway, desired: Path
) -> None:
    gw, cwd = gateway, desired.parent
    apply_and_settle(gw, cwd)
    name = gw.name("妮可")
    (desired / "pinned-more.yaml").write_text("pinned:\n  - alias: [oops\n", encoding="utf-8")
    refused = run_cli(gw, cwd, "block", name, "--reason", "x", "--desired", "desired")
    assert refused.code == 1
    assert "pinned-more.yaml:" in refused.err and "block and unblock must read" in refused.err
    assert not gw.keys_by_alias(name)[0].get("blocked")


def test_import_without_pinned_lists_the_admin_key_as_a_pin_candidate(
    gateway: Gateway, tmp_path: Path
) -> None:
    """A tree without pinned: the all-models key is never an agent; uncommenting the entry
    import wrote pins it, and then plan and apply leave it byte-identical (the fixture)."""
    gw = gateway
    root = tmp_path / "desired"
    root.mkdir()
    (root / "settings.yaml").write_text(f"settings: {{scope: {gw.prefix}}}\n", encoding="utf-8")
    imported = run_cli(gw, tmp_path, "import", "--desired", "desired",
                       "--include", gw.pinned_alias)
    assert imported.code == 0, imported.both
    token = gw.live_keys()[gw.pinned_alias]["token"]
    assert f"pin candidate (may call every model; not an agent): {gw.pinned_alias}" in imported.out
    assert f"sha256 {token}: declare it under pinned: first" in imported.out
    assert not (root / "imported-agents.yaml").exists()  # no agent: nothing to adopt
    gateway_file = root / "imported-gateway.yaml"
    text = gateway_file.read_text(encoding="utf-8")
    entry = f'#   - {{alias: "{gw.pinned_alias}", key_sha256: {token}}}'
    assert entry in text and gw.pinned_raw not in text + imported.both
    # The operator confirms the candidate by uncommenting it.
    text = text.replace("# pinned:\n", "pinned:\n").replace(entry, entry[1:])
    gateway_file.write_text(text, encoding="utf-8")
    plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json")
    assert plan.code == 0, plan.both
    data = json.loads(plan.out)
    assert data["changes"] == []
    assert any(u["kind"] == "pinned_key" and u["name"] == gw.pinned_alias
               for u in data["untouched"]), data["untouched"]
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert applied.code == 0 and "No changes" in applied.out, applied.both


def test_apply_with_nothing_to_change_and_no_terminal_exits_0(
    gateway: Gateway, desired: Path
) -> None:
    gw, cwd = gateway, desired.parent
    apply_and_settle(gw, cwd)
    before = gw.live_keys()
    again = run_cli(gw, cwd, "apply", "--desired", "desired")  # stdin is not a terminal
    assert again.code == 0, again.both
    assert "No changes" in again.out and "needs a terminal" not in again.both
    assert gw.live_keys() == before


def test_agent_set_edits_what_import_wrote_and_none_clears(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    gw = gateway
    name = gw.name("手工")
    gw.call("POST", "/key/generate", json={"key_alias": name, "models": [gw.name("M")],
                                           "max_budget": 5, "rpm_limit": 10})
    root = tmp_path / "desired"
    root.mkdir()
    (root / "gateway.yaml").write_text(
        f"settings: {{scope: {gw.prefix}}}\npinned: [{{alias: {gw.pinned_alias}}}]\n"
        f"config_models: [{gw.name('M')}]\n", encoding="utf-8")
    assert run_cli(gw, tmp_path, "import", "--desired", "desired", "--include", name).code == 0
    edited = run_cli(gw, tmp_path, "agent", "set", name, "--budget", "none", "--rpm", "60",
                     "--desired", "desired")
    assert edited.code == 0, edited.both
    text = (root / "imported-agents.yaml").read_text(encoding="utf-8")
    assert "max_budget" not in text and "rpm_limit: 60" in text and "# sk-..." in text
    # The plan it prints: adopt the key, with the two edits in the same step.
    assert f"@ adopt key {name}" in edited.out
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert applied.code == 0, applied.both
    live = gw.live_keys()[name]
    assert live["rpm_limit"] == 60 and live["max_budget"] is None


def test_usage_flags_budget_refusals_and_not_a_block_desired_asked_for(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream
) -> None:
    """Items 6 and 7 on real priced traffic: an agent the gateway refuses for budget is flagged
    with its step; refused calls on a key desired/ blocks on purpose are not."""
    gw = gateway
    good = gw.name("Good")
    gw.call("POST", "/model/new", json={
        "model_name": good, "model_info": {"id": gw.name("good")},
        "litellm_params": {"model": "openai/fake", "api_base": upstream.ok_base,
                           "api_key": "fake-upstream-key", **PRICE}})
    spender, stopped = gw.name("spender"), gw.name("stopped")
    write_desired(tmp_path / "desired", {
        "settings": {"scope": gw.prefix}, "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [good],
        "agents": [agent(gw, "spender", ["Good"], max_budget=0.00001),
                   agent(gw, "stopped", ["Good"], blocked=True)]})
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    keys = {s["agent"]: s["key"] for s in read_secrets(tmp_path / "s.jsonl")}
    assert _chat(gw, keys[spender], good, 2) == [200, 422]
    assert _chat(gw, keys[stopped], good, 2) == [401, 401]
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result = run_cli(gw, tmp_path, "usage", "--desired", "desired", "--format", "json")
        data = json.loads(result.out)
        mine = {k["name"]: k for k in data["keys"]}
        if (mine.get(spender, {}).get("requests") == 2
                and mine.get(stopped, {}).get("requests", 0) >= 2) \
                or time.monotonic() > deadline:
            break
        time.sleep(3)
    flags = {(f["name"], f["kind"]): f for f in data["flags"]}
    assert result.code == 3, result.both
    refused = flags[(spender, "budget-exceeded")]
    assert refused["reason"].startswith("1 request(s) refused by the gateway: its budget is spent")
    assert f"raise max_budget for agent {spender}" in refused["stop"]
    assert not [f for f in data["flags"] if f["name"] == stopped], data["flags"]
    assert mine[stopped]["failures"] >= 2  # counted, not flagged


def test_an_absorbed_hold_keeps_its_story_and_unblock_is_a_reviewed_change(
    gateway: Gateway, desired: Path
) -> None:
    gw, cwd = gateway, desired.parent
    apply_and_settle(gw, cwd)
    name = gw.name("妮可")
    blocked = run_cli(gw, cwd, "block", name, "--reason", "spend 10x since 14:00",
                      "--desired", "desired")
    assert blocked.code == 0, blocked.both
    marked = run_cli(gw, cwd, "agent", "set", name, "--blocked", "true", "--desired", "desired",
                     "--no-plan")
    assert marked.code == 0, marked.both
    apply_and_settle(gw, cwd)  # the hold is absorbed: the plan after it is empty
    metadata = gw.keys_by_alias(name)[0]["metadata"]
    story = metadata["reconciler_block"]
    assert story["reason"] == "spend 10x since 14:00" and story["by"] == "reconciler block"
    assert story["at"] and "reconciler_hold" not in metadata
    refused = run_cli(gw, cwd, "unblock", name, "--desired", "desired")
    assert refused.code == 1 and "set blocked: false" in refused.err
    # The reviewed way back: blocked: false in desired/, then apply.
    back = run_cli(gw, cwd, "agent", "set", name, "--blocked", "false", "--desired", "desired",
                   "--no-plan")
    assert back.code == 0, back.both
    apply_and_settle(gw, cwd)
    live = gw.keys_by_alias(name)[0]
    assert not live.get("blocked") and "reconciler_block" not in live["metadata"]


def test_fallbacks_changed_outside_desired_are_marked_as_drift(
    gateway: Gateway, tmp_path: Path
) -> None:
    gw = gateway
    before = gw.call("GET", "/get/config/callbacks")["router_settings"].get("fallbacks")
    a, b, c = gw.name("A"), gw.name("B"), gw.name("C")
    write_desired(tmp_path / "desired", {
        "settings": {"scope": gw.prefix}, "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [a, b, c], "fallbacks": {a: [b]}})
    try:
        applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve")
        assert applied.code == 0, applied.both
        # What desired/ asked for is not drift...
        first = json.loads(run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format",
                                   "json").out)
        assert first["changes"] == []
        # ...a raw /config/update (the admin agent's old habit) is.
        gw.call("POST", "/config/update", json={"router_settings": {"fallbacks": [{a: [c]}]}})
        plan = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "json")
        (change,) = json.loads(plan.out)["changes"]
        assert change["address"] == "routing.fallbacks" and change["drift"] is True
        text = run_cli(gw, tmp_path, "plan", "--desired", "desired")
        assert "[drift: changed outside desired/]" in text.out
        drift = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--format", "drift")
        assert "fallbacks" in drift.out
        # The record key is the tool's own: never in a plan, not even as untouched.
        assert "reconciler-lease-record" not in text.out + json.dumps(json.loads(plan.out))
        again = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve")
        assert again.code == 0, again.both
        settled = run_cli(gw, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
        assert settled.code == 0, settled.both
        # A reviewed change of desired/ over the record is not drift.
        write_desired(tmp_path / "desired", {
            "settings": {"scope": gw.prefix}, "pinned": [{"alias": gw.pinned_alias}],
            "config_models": [a, b, c], "fallbacks": {a: [b, c]}})
        (wanted,) = json.loads(run_cli(gw, tmp_path, "plan", "--desired", "desired",
                                       "--format", "json").out)["changes"]
        assert wanted["drift"] is False
    finally:
        gw.call("POST", "/config/update", json={"router_settings": {"fallbacks": before or []}})


@pytest.fixture
def fallbacks_back(gateway: Gateway) -> Iterator[None]:
    before = gateway.call("GET", "/get/config/callbacks")["router_settings"].get("fallbacks")
    yield
    gateway.call("POST", "/config/update", json={"router_settings": {"fallbacks": before or []}})


def test_usage_counts_served_tokens_under_the_serving_group_and_says_so(
    gateway: Gateway, tmp_path: Path, upstream: FakeUpstream, fallbacks_back: None
) -> None:
    """Item 8 on real traffic: a fell-back request counts under the group that served it in
    usage (fell_back_here) and under the group asked for in health, each output saying which;
    a failed request's tokens are not served tokens; the month table has no window columns."""
    gw = gateway
    good, busy = _deploy(gw, upstream)
    write_desired(tmp_path / "desired", {
        "settings": {"scope": gw.prefix}, "pinned": [{"alias": gw.pinned_alias}],
        "config_models": [good, busy], "fallbacks": {busy: [good]},
        "agents": [agent(gw, "caller", ["Good", "Busy"], max_budget=1)]})
    applied = run_cli(gw, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    caller = gw.name("caller")
    key = read_secrets(tmp_path / "s.jsonl")[0]["key"]
    assert _chat(gw, key, good, 1) == [200]
    codes = _fallen_back(gw, tmp_path, key, busy)
    served = 1 + codes.count(200)
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result = run_cli(gw, tmp_path, "usage", "--desired", "desired", "--format", "json",
                         "--budget-alert", "0.9")
        data = json.loads(result.out)
        row = next((k for k in data["keys"] if k["name"] == caller), None)
        if (row and row["requests"] == 1 + len(codes)) or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert row is not None and row["requests"] == 1 + len(codes), data
    assert data["model_group_counted"] == "served"
    assert row["by_model_group"][good]["requests"] == served
    assert row["by_model_group"][good]["fell_back_here"] == codes.count(200)
    assert row["tokens"] == served * 42  # failed 529s (if any got through) serve no tokens
    table = run_cli(gw, tmp_path, "usage", "--desired", "desired")
    assert "Per model group that served the request (after any fallback" in table.out
    month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
    monthly = run_cli(gw, tmp_path, "usage", "--desired", "desired", "--month", month)
    header = next(line for line in monthly.out.splitlines() if line.startswith("name "))
    assert "budget_used" not in header and "max_budget" not in header
    assert "budget columns left out" in monthly.out
    _reapply(gw, tmp_path)
    health = run_cli(gw, tmp_path, "health", "--desired", "desired", "--format", "json")
    report = json.loads(health.out)
    assert report["fallback_activity_counted"] == "asked"
    assert report["fallback_activity"][busy]["fell_back"] == codes.count(200)
    text = run_cli(gw, tmp_path, "health", "--desired", "desired")
    assert "Fallback activity by the group asked for (usage counts the group that served)" \
        in text.out
