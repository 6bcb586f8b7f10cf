"""Safety rails at plan time, a large change approved in desired/, and -/+ replacements."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, run_cli, standard_estate, write_desired

APPROVAL_LINE = re.compile(r"Large change approved in (\S+gateway\.yaml):(\d+): retire the "
                           r"pilot agents \(up to 4 change\(s\), this plan has 4\)")


def _ten_agents(gateway: Gateway, tmp_path: Path) -> dict:
    estate = standard_estate(gateway)
    estate["agents"] = [agent(gateway, f"pilot-{i:02d}", ["MiniMax-M2.5"]) for i in range(10)]
    write_desired(tmp_path / "desired", estate)
    first = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                    "--secrets-out", "s.jsonl")
    assert first.code == 0, first.both
    return estate


def _blocked(gateway: Gateway) -> list[str]:
    return sorted(a for a, k in gateway.live_keys().items() if k.get("blocked") is True)


def test_a_large_change_is_shown_at_plan_time_and_goes_through_only_as_approved(
        gateway: Gateway, tmp_path: Path) -> None:
    estate = _ten_agents(gateway, tmp_path)
    estate["agents"] = estate["agents"][:6]  # 4 of 10 managed keys blocked: 40 %
    write_desired(tmp_path / "desired", estate)

    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 2, plan.both  # a dry run: the verdict is shown, not an error
    assert "  key destroys: 4/10 = 40% (limit 30%) EXCEEDED\n" in plan.out
    assert "! OVER THE SAFETY RAILS: apply refuses without --force" in plan.out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 4 to block." in plan.out
    markdown = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format",
                       "markdown")
    assert "| key destroys | 4 | 10 | 40% | 30% | exceeded |" in markdown.out
    refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert refused.code == 1
    assert refused.err.strip() == ("error: too many key blocks and deletes: 40% is over 30% "
                                   "(4/10 managed keys); --force required")

    # An approval smaller than the change is refused at plan time and at apply time.
    estate["settings"]["safety"] = {"approve_large_change": {
        "reason": "retire the pilot agents", "max_changes": 3}}
    write_desired(tmp_path / "desired", estate)
    small = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert "LARGE CHANGE REFUSED: the approval in " in small.out
    assert "covers up to 3 change(s), this plan has 4; apply needs --force" in small.out
    too_big = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve")
    assert too_big.code == 1
    assert "covers 3 change(s), this plan has 4; --force required" in too_big.err
    assert _blocked(gateway) == []

    # The reviewed approval: plan --out shows where it is declared; apply (no --force) runs.
    estate["settings"]["safety"]["approve_large_change"]["max_changes"] = 4
    write_desired(tmp_path / "desired", estate)
    saved = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--out", "plan.json")
    where = APPROVAL_LINE.search(saved.out)
    assert where, saved.out
    lines = (tmp_path / where.group(1)).read_text(encoding="utf-8").splitlines()
    assert lines[int(where.group(2)) - 1].strip() == "approve_large_change:"
    shown = run_cli(None, tmp_path, "show", "plan.json", "--format", "markdown")
    assert "**Safety rails: approved**" in shown.out
    applied = run_cli(gateway, tmp_path, "apply", "plan.json", "--desired", "desired",
                      "--auto-approve")
    assert applied.code == 0, applied.both
    assert APPROVAL_LINE.search(applied.out)
    assert _blocked(gateway) == [gateway.name(f"pilot-{i:02d}") for i in range(6, 10)]


def test_a_model_recreated_is_shown_as_a_replacement(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    write_desired(tmp_path / "desired", estate)
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                   "--secrets-out", "s.jsonl").code == 0
    del estate["models"][0]["litellm_params"]["rpm"]  # only a fresh deployment drops it
    write_desired(tmp_path / "desired", estate)
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 0, plan.both
    assert (f"-/+ replace model {gateway.name('m25')}  # LiteLLM cannot unset a setting in "
            "place: re-created\n      litellm_params.rpm: 120 → null\n") in plan.out
    assert plan.out.endswith("Plan: 1 to add, 0 to change, 1 to destroy. "
                             "(1 replaced: counted in add and destroy)\n")
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired",
                   "--auto-approve").code == 0
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
    assert "rpm" not in gateway.models()[gateway.name("m25")]["litellm_params"]


def test_a_quiet_gateway_plans_in_a_few_lines(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    write_desired(tmp_path / "desired", estate)
    assert run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                   "--secrets-out", "s.jsonl").code == 0
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert plan.code == 0
    lines = plan.out.splitlines()
    assert lines[-1] == "No changes. The gateway matches desired/."
    assert len(lines) == 3 and lines[0].startswith("  = Left untouched: 1 pinned key(s), ")
    listed = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--show-untouched")
    assert f"pinned key (never changed): {gateway.pinned_alias}" in listed.out
    assert gateway.unmanaged_alias in listed.out
