"""The GitHub workflows keep their security properties (scripts/test.sh also runs actionlint,
zizmor and ShellCheck on them): pinned actions, least privilege, no credential next to a pull
request's code or beside a write token, the tool from its hashed lock, apply only of the
reviewed plan. tests/ci/ runs their scripts against a fake gh."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
# A reusable workflow of this repository, at the caller's own commit.
LOCAL = re.compile(r"^\$/\.github/workflows/[\w.-]+\.yml$")
ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def _load(name: str) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); the workflows' other keys are plain.
    return dict(yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8")))


GITOPS = _load("gitops.yml")
JOBS = GITOPS["jobs"]


def _steps(job: str) -> list[dict[str, Any]]:
    return list(JOBS[job]["steps"])


def test_this_repository_calls_the_reusable_workflow() -> None:
    assert set(ALL) == {"ci.yml", "compat.yml", "gitops.yml", "reconciler.yml"}
    caller = _load("reconciler.yml")
    assert caller["jobs"]["reconciler"]["uses"] == "$/.github/workflows/gitops.yml"
    # Its own tool: the default branch's (empty ref), not a release.
    assert caller["jobs"]["reconciler"]["with"] == {
        "tool-repository": "${{ github.repository }}", "tool-ref": ""}
    assert set(GITOPS[True]) == {"workflow_call"}


@pytest.mark.parametrize("name", ALL)
def test_actions_are_pinned_by_commit_with_a_version_comment(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines
            if line.strip().startswith(("uses:", "- uses:"))]
    assert uses
    assert [u for u in uses if not PINNED.match(u) and not LOCAL.match(u)] == []


@pytest.mark.parametrize("name", ALL)
def test_least_privilege_and_no_persisted_credentials(name: str) -> None:
    workflow = _load(name)
    assert workflow["permissions"] == {}
    assert True in workflow and "pull_request_target" not in workflow[True]
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, job_name
        if "uses" in job:  # a call: the called workflow's jobs are checked as its own file
            assert "secrets" not in job, f"{job_name} passes secrets on"
            continue
        uses_secrets = "secrets." in yaml.safe_dump(job)
        assert not uses_secrets or "environment" in job, f"{job_name} holds secrets outside an env"
        # A job that can write to the repository never also holds a gateway credential.
        writes = "write" in str(job["permissions"])
        assert not (writes and uses_secrets), f"{job_name} holds a write token and a secret"
        for step in job["steps"]:
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False


def test_no_job_runs_the_pull_requests_code() -> None:
    for name, job in JOBS.items():
        for step in job.get("steps", []):
            if "actions/checkout" not in step.get("uses", ""):
                continue
            w = step["with"]
            if w["path"] == "pr":  # the pull request's (or main's) desired/, as data only
                assert w["sparse-checkout"] == "desired" and "repository" not in w, name
            else:  # the tool: tool-repository at its resolved commit or tag, never the PR's
                assert w["path"] == "tool", name
                assert w["repository"] in ("${{ inputs.tool-repository }}",
                                           "${{ needs.pr.outputs.tool_repository }}",
                                           "${{ needs.what.outputs.tool_repository }}"), name
                assert "head" not in w["ref"], name
        runs = " ".join(s.get("run", "") for s in job.get("steps", []))
        assert "./pr" not in runs and "bash pr/" not in runs, name


def test_the_tool_is_installed_from_its_hashed_lock_only() -> None:
    for name, job in JOBS.items():
        runs = [s.get("run", "") for s in job.get("steps", [])]
        installs = [line.strip() for r in runs for line in r.splitlines() if "pip install" in line]
        assert installs in ([], [
            "pip install --require-hashes --only-binary :all: -r tool/scripts/ci/requirements.lock",
            "pip install --no-deps --no-build-isolation --no-index ./tool"]), name


def test_the_plan_key_is_read_only_and_forks_are_never_planned() -> None:
    plan = JOBS["plan"]
    assert plan["environment"] == (
        "${{ matrix.target && format('gateway-read-{0}', matrix.target) || 'gateway-read' }}")
    assert plan["permissions"] == {"contents": "read"}
    step = next(s for s in _steps("plan") if s.get("name") == "plan")
    assert step["env"]["LITELLM_API_KEY"] == "${{ secrets.LITELLM_READ_ONLY_KEY }}"
    assert step["run"] == "bash tool/scripts/ci/plan-comment.sh"
    # pr-context.sh decides: plan is 'false' for a fork (tests/ci/test_pr_flow.py).
    assert JOBS["targets"]["if"] == "needs.pr.outputs.plan == 'true'"
    assert JOBS["plan"]["needs"] == ["pr", "targets"]
    # Every pull request is validated, forks included, offline.
    assert "secrets." not in yaml.safe_dump(JOBS["validate"]) and "if" not in JOBS["validate"]


def test_comment_commands_hold_no_key_and_never_interpolate_the_comment() -> None:
    job = JOBS["command"]
    assert job["if"] == ("github.event_name == 'issue_comment' && "
                         "startsWith(github.event.comment.body, '/reconciler ')")
    assert "secrets." not in yaml.safe_dump(job) and "environment" not in job
    step = _steps("command")[-1]
    assert step["env"]["COMMENT_BODY"] == "${{ github.event.comment.body }}"
    assert "${{" not in step["run"]  # the comment reaches the script as data only


def test_apply_takes_the_reviewed_plan_of_mains_tip_or_a_ready_pull_request() -> None:
    default_branch = ("github.ref == format('refs/heads/{0}', "
                      "github.event.repository.default_branch)")
    assert default_branch in JOBS["what"]["if"]
    gate = next(s for s in _steps("what") if s.get("id") == "gate")
    assert "bash tool/scripts/ci/apply-gate.sh" in gate["run"]
    names = [s.get("name") for s in _steps("apply")]
    assert names.index("fetch the reviewed plan") < names.index("apply")
    run = next(s for s in _steps("apply") if s.get("name") == "apply")["run"]
    assert 'reconciler apply "${RUNNER_TEMP}/reviewed/plan.json" --desired pr/desired ' \
        '"${TARGET_ARGS[@]}"' in run
    # A large change goes through only as desired/ approves it: never --force in CI.
    assert all("--force" not in yaml.safe_dump(_load(n)) for n in ALL)
    # Merge only after every target applied, and only the commit that was reviewed.
    assert JOBS["merge"]["needs"] == ["what", "apply"]
    assert '-f "sha=${HEAD_SHA}"' in _steps("merge")[-1]["run"]


def test_main_moving_marks_then_re_plans_open_pull_requests() -> None:
    assert JOBS["moved"]["if"] == "github.event_name == 'push'"
    assert _steps("moved")[-1]["run"] == "bash tool/scripts/ci/main-moved.sh mark"
    # The re-plan waits for main's own apply, so it reads the gateway main left.
    assert JOBS["replan"]["needs"] == ["what", "apply"]
    assert _steps("replan")[-1]["run"] == "bash tool/scripts/ci/main-moved.sh replan"
    assert _steps("replan")[-1]["env"]["WORKFLOW_REF"] == "${{ github.workflow_ref }}"


def test_ci_runs_the_suite_and_the_linters() -> None:
    ci = _load("ci.yml")
    runs = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
    assert "bash scripts/test.sh" in runs
    script = (WORKFLOWS.parents[1] / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "actionlint .github/workflows/*.yml" in script
    assert "zizmor --pedantic --offline --quiet .github/workflows" in script


def test_the_compatibility_matrix_runs_the_tested_range_on_a_schedule() -> None:
    from reconciler.gateway.version import NEWEST_TESTED, OLDEST_TESTED

    compat = _load("compat.yml")
    assert "schedule" in compat[True]
    matrix = compat["jobs"]["real-tier"]["strategy"]["matrix"]
    assert {OLDEST_TESTED, NEWEST_TESTED} <= set(matrix["litellm"])
    assert matrix["replicas"] == [1, 2] and matrix["redis"] == [0, 1]
