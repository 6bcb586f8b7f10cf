"""What the plan workflow posts: the saved plan rendered again, cut to fit a comment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, run_cli, standard_estate, write_desired

GITHUB_LIMIT = 65_536


def test_show_renders_the_saved_plan_exactly_as_plan_printed_it(gateway: Gateway, desired: Path,
                                                                 tmp_path: Path) -> None:
    for fmt in ("text", "markdown", "json"):
        plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", fmt,
                       "--out", "plan.json")
        assert plan.code == 0, plan.both
        shown = run_cli(None, tmp_path, "show", "plan.json", "--format", fmt)
        assert shown.code == 0, shown.both
        assert shown.out == plan.out


def test_a_thousand_new_agents_fit_one_comment_with_a_link(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"] += [agent(gateway, f"fleet-{i:04}", ["MiniMax-M2.5"], max_budget=5,
                               rpm_limit=30, metadata={"team": "fleet", "shift": "night"})
                         for i in range(1000)]
    write_desired(tmp_path / "desired", estate)
    full = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "markdown",
                   "--detailed-exitcode", "--out", "plan.json")
    assert full.code == 2, full.err
    assert len(full.out) > 200_000

    note = "The full plan is the plan-abc123 artifact of https://ci.example/runs/7"
    comment = run_cli(None, tmp_path, "show", "plan.json", "--format", "markdown",
                      "--max-chars", "60000", "--truncation-note", note)
    assert comment.code == 0, comment.both
    assert len(comment.out) <= 60_000 < GITHUB_LIMIT
    assert "| `create_key` | 1002 |" in comment.out
    assert comment.out.rstrip().endswith(note)
    assert "Plan truncated:" in comment.out

    cut_plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format",
                       "markdown", "--max-chars", "60000")
    assert cut_plan.code == 0 and len(cut_plan.out) <= 60_000
    assert cut_plan.out.startswith(full.out[: full.out.index("```diff")])


def test_show_of_a_damaged_plan_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{not json", encoding="utf-8")
    shown = run_cli(None, tmp_path, "show", "plan.json")
    assert shown.code == 1
    assert shown.out == ""
    assert len(shown.err.splitlines()) == 1 and shown.err.startswith("error: cannot read plan")


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci" / "plan-comment.sh"
RUN_URL = "https://github.example/acme/gateway/actions/runs/42"


def _plan_comment(tmp_path: Path, base_url: str, key: str,
                  target: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    env.update({"PATH": f"{Path(sys.executable).parent}:{env['PATH']}", "NO_COLOR": "1",
                "LITELLM_BASE_URL": base_url, "LITELLM_API_KEY": key,
                "PR_DESIRED": "desired", "OUT": "out", "HEAD_SHA": "f00d" * 10,
                "RUN_URL": RUN_URL, "TARGET": target})
    return subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_plan_jobs_script_leaves_a_fitting_comment_and_the_whole_plan(
    gateway: Gateway, tmp_path: Path
) -> None:
    estate = standard_estate(gateway)
    estate["agents"] += [agent(gateway, f"crew-{i:04}", ["MiniMax-M2.5"], max_budget=5,
                               metadata={"team": "crew"}) for i in range(700)]
    write_desired(tmp_path / "desired", estate)
    done = _plan_comment(tmp_path, gateway.base_url, gateway.admin_key)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert (out / "exit-code").read_text() == "2\n"
    whole = (out / "plan.md").read_text(encoding="utf-8")
    comment = (out / "comment.md").read_text(encoding="utf-8")
    assert len(whole) > 65_536 > 60_000 + 200 > len(comment)
    assert "| `create_key` | 702 |" in comment
    assert f"The full plan is the plan-{'f00d' * 10} artifact of {RUN_URL}" in comment
    assert comment.endswith(f"Plan for {'f00d' * 10}: {RUN_URL}\n")
    shown = run_cli(None, tmp_path, "show", "out/plan.json", "--format", "markdown")
    assert shown.out == whole


def test_a_failed_plan_leaves_an_error_comment_instead(tmp_path: Path) -> None:
    write_desired(tmp_path / "desired", {"agents": [{"name": "x", "owner": "o", "models": []}]})
    done = _plan_comment(tmp_path, "http://127.0.0.1:9", "sk-unused-key-1")
    assert done.returncode == 1
    comment = (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith("### reconciler plan failed\n")
    assert "error: desired state is invalid" in comment and "desired/agents/x.yaml:" in comment
    assert comment.endswith(f"Run: {RUN_URL}\n")
    assert not (tmp_path / "out" / "plan.json").exists()
    assert (tmp_path / "out" / "exit-code").read_text() == "1\n"


def test_an_unreachable_gateway_is_an_error_comment_too(gateway: Gateway, desired: Path,
                                                        tmp_path: Path) -> None:
    done = _plan_comment(tmp_path, gateway.base_url, "sk-wrong-key-for-this-gateway")
    assert done.returncode == 1
    comment = (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert "answered 401" in comment and "sk-wrong-key-for-this-gateway" not in comment


def test_a_targets_plan_reads_the_environments_secrets_under_the_targets_names(
    gateway: Gateway, tmp_path: Path
) -> None:
    # The job's environment holds LITELLM_BASE_URL / LITELLM_API_KEY; the target declares
    # other names, so the script hands the values over under those (and only those) names.
    estate = standard_estate(gateway)
    write_desired(tmp_path / "desired", estate)
    target = tmp_path / "desired" / "targets" / "staging"
    target.mkdir(parents=True)
    (target / "target.yaml").write_text(
        "gateway: {base_url_env: STAGING_URL, admin_key_env: STAGING_KEY}\n", encoding="utf-8")
    done = _plan_comment(tmp_path, gateway.base_url, gateway.admin_key, target="staging")
    assert done.returncode == 0, done.stderr
    comment = (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith("Target: `staging`\n### reconciler plan\n")
    assert "**Plan: 4 to add, 0 to change, 0 to destroy.**" in comment
    assert comment.endswith(f"Plan for {'f00d' * 10} on target staging: {RUN_URL}\n")
    err = (tmp_path / "out" / "plan.err").read_text(encoding="utf-8")
    assert "target staging: gateway from $STAGING_URL" in err

    (target / "target.yaml").write_text("agents: [{name: x}]\n", encoding="utf-8")
    failed = _plan_comment(tmp_path, gateway.base_url, gateway.admin_key, target="staging")
    assert failed.returncode == 1
    error = (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert error.startswith("### reconciler plan failed on target staging\n")
