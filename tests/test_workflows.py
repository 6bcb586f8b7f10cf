"""The GitHub workflows keep their security properties (scripts/test.sh also runs actionlint
and zizmor on them): pinned actions, least privilege, no credential next to a pull request's
code, apply only of the reviewed plan at main's tip."""

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


def _load(name: str) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); the workflows' other keys are plain.
    return dict(yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8")))


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_pull_request_apply_and_ci_workflows_exist() -> None:
    assert {"apply.yml", "apply-gateway.yml", "ci.yml", "plan.yml"} <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_actions_are_pinned_by_commit_with_a_version_comment(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
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


def test_pull_request_code_never_runs_with_a_credential() -> None:
    plan = _load("plan.yml")
    jobs = plan["jobs"]
    fork_guard = "github.event.pull_request.head.repo.full_name == github.repository"
    assert fork_guard in jobs["plan"]["if"] and fork_guard in jobs["comment"]["if"]
    assert "secrets." not in yaml.safe_dump(jobs["validate"])
    assert "secrets." not in yaml.safe_dump(jobs["comment"])
    assert jobs["plan"]["environment"] == (
        "${{ matrix.target && format('gateway-read-{0}', matrix.target) || 'gateway-read' }}")
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    for job in ("validate", "plan"):
        checkouts = [s["with"] for s in _steps(plan, job) if "checkout" in s.get("uses", "")]
        assert {c["path"]: c["ref"] for c in checkouts} == {
            "tool": "${{ github.event.pull_request.base.sha }}",
            "pr": "${{ github.event.pull_request.head.sha }}"}
        assert next(c for c in checkouts if c["path"] == "pr")["sparse-checkout"] == "desired"
        runs = " ".join(s.get("run", "") for s in _steps(plan, job))
        assert "pip install ./tool" in runs and "pip install ." not in runs.replace("./tool", "")
    plan_step = next(s for s in _steps(plan, "plan") if s.get("name") == "plan")
    assert plan_step["env"]["LITELLM_API_KEY"] == "${{ secrets.LITELLM_READ_ONLY_KEY }}"
    # The script comes from the base branch's checkout too (tests/ci and tests/e2e run it).
    assert plan_step["run"] == "bash tool/scripts/ci/plan-comment.sh"


def test_apply_takes_the_reviewed_plan_at_mains_tip_only() -> None:
    apply = _load("apply.yml")
    default_branch = "format('refs/heads/{0}', github.event.repository.default_branch)"
    assert apply["jobs"]["targets"]["if"] == f"github.ref == {default_branch}"
    assert apply["concurrency"]["cancel-in-progress"] is False
    gateway = _load("apply-gateway.yml")
    assert set(gateway[True]) == {"workflow_call"}
    job = gateway["jobs"]["apply"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {"group": "reconciler-apply-${{ inputs.environment }}",
                                  "cancel-in-progress": False}
    names = [s.get("name", s.get("uses", s.get("run"))) for s in job["steps"]]
    fetch = names.index("fetch the plan reviewed on the merged pull request, at main's tip only")
    assert job["steps"][fetch]["run"] == "bash scripts/ci/fetch-reviewed-plan.sh"
    assert job["steps"][fetch]["env"]["TARGET"] == "${{ inputs.target }}"
    assert fetch < names.index("apply")
    run = next(s for s in job["steps"] if s.get("name") == "apply")["run"]
    assert 'reconciler apply "${RUNNER_TEMP}/reviewed/plan.json" --desired desired ' \
        '"${TARGET_ARGS[@]}"' in run
    # A large change goes through only as desired/ approves it: never --force in CI.
    assert all("--force" not in yaml.safe_dump(_load(n)) for n in ALL)


def test_every_target_is_planned_with_its_own_comment() -> None:
    jobs = _load("plan.yml")["jobs"]
    assert jobs["targets"]["steps"][-1]["run"] == "bash tool/scripts/ci/targets.sh"
    assert "secrets." not in yaml.safe_dump(jobs["targets"])
    for name in ("plan", "comment"):
        assert jobs[name]["strategy"]["matrix"]["target"] == (
            "${{ fromJSON(needs.targets.outputs.targets) }}")
        assert jobs[name]["strategy"]["fail-fast"] is False
    plan_step = next(s for s in _steps(_load("plan.yml"), "plan") if s.get("name") == "plan")
    assert plan_step["env"]["TARGET"] == "${{ matrix.target }}"
    upload = _steps(_load("plan.yml"), "plan")[-1]["with"]["name"]
    download = _steps(_load("plan.yml"), "comment")[0]["with"]["name"]
    assert upload == download == ("plan-${{ github.event.pull_request.head.sha }}${{ "
                                  "matrix.target && format('-{0}', matrix.target) || '' }}")
    script = _steps(_load("plan.yml"), "comment")[-1]["with"]["script"]
    assert "`<!-- reconciler-plan:${target} -->`" in script


def test_apply_runs_staging_then_production_each_in_its_environment() -> None:
    jobs = _load("apply.yml")["jobs"]
    assert jobs["targets"]["steps"][-1]["env"]["ONLY"] == "staging production"
    called = {name: job for name, job in jobs.items() if "uses" in job}
    assert set(called) == {"apply", "staging", "production"}
    assert {n: j["with"] for n, j in called.items()} == {
        "apply": {"environment": "production"},
        "staging": {"target": "staging", "environment": "staging"},
        "production": {"target": "production", "environment": "production"},
    }
    assert jobs["apply"]["if"] == "needs.targets.outputs.targets == '[\"\"]'"
    assert jobs["production"]["needs"] == ["targets", "staging"]
    # production waits for staging, and never runs after a failed staging apply
    assert "needs.staging.result == 'success' || needs.staging.result == 'skipped'" \
        in jobs["production"]["if"]


def test_ci_runs_the_suite_and_the_linters() -> None:
    ci = _load("ci.yml")
    runs = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
    assert "bash scripts/test.sh" in runs
    script = (WORKFLOWS.parents[1] / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "actionlint .github/workflows/*.yml" in script
    assert "zizmor --offline --quiet .github/workflows" in script
