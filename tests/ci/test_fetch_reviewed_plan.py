"""scripts/ci/fetch-reviewed-plan.sh (apply.yml): the reviewed plan at main's tip, or a refusal
that says why. Run with a fake `gh` that answers canned GitHub API JSON through the real jq."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci" / "fetch-reviewed-plan.sh"
REPO = "acme/gateway"
SHA, HEAD, OTHER = "a" * 40, "b" * 40, "c" * 40
R = f"repos/{REPO}"

pytestmark = pytest.mark.skipif(shutil.which("jq") is None, reason="skipped: jq not installed")


def _api(**changes: Any) -> dict[str, Any]:
    api: dict[str, Any] = {
        f"{R}/commits/main": {"sha": SHA},
        f"{R}/commits/{SHA}/pulls": [
            {"number": 6, "merged_at": None, "head": {"sha": OTHER}},
            {"number": 7, "merged_at": "2026-11-25T10:00:00Z", "head": {"sha": HEAD}},
        ],
        f"{R}/actions/artifacts?name=plan-{HEAD}": {
            "artifacts": [{"name": f"plan-{HEAD}", "workflow_run": {"id": 99}}]},
        f"{R}/actions/runs/99": {"path": ".github/workflows/reconciler.yml"},
    }
    api.update(changes)
    return api


def _run(tmp_path: Path, api: dict[str, Any], artifact: dict[str, str] | None,
         target: str = "", pr: str = ""):
    fake = tmp_path / "fake"
    (fake / "bin").mkdir(parents=True)
    (fake / "api.json").write_text(json.dumps(api), encoding="utf-8")
    gh = fake / "bin" / "gh"
    gh.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / 'fake_gh.py'} "
                  '"$@"\n', encoding="utf-8")
    gh.chmod(0o755)
    if artifact is not None:
        folder = fake / "artifacts" / f"plan-{HEAD}{'-' + target if target else ''}"
        folder.mkdir(parents=True)
        for name, text in artifact.items():
            (folder / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PATH": f"{fake / 'bin'}:{os.environ['PATH']}", "FAKE_GH": str(fake),
           "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": SHA, "BRANCH": "main",
           "DEST": str(tmp_path / "reviewed"), "TARGET": target, "PR": pr,
           "WORKFLOW": ".github/workflows/reconciler.yml"}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


PLAN = {"plan.json": '{"format_version": 1}', "plan.md": "### reconciler plan\n"}


def test_the_merged_pull_requests_plan_is_fetched(tmp_path: Path) -> None:
    done = _run(tmp_path, _api(), PLAN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "reviewed" / "plan.json").read_text() == PLAN["plan.json"]
    assert done.stdout.splitlines()[-1] == (
        f"Applying the plan reviewed on pull request #7 ({HEAD}), plan run 99")


def test_a_target_fetches_its_own_plan_only(tmp_path: Path) -> None:
    staging = {"plan.json": '{"target": "staging"}'}
    api = _api(**{f"{R}/actions/artifacts?name=plan-{HEAD}-staging": {
        "artifacts": [{"name": f"plan-{HEAD}-staging", "workflow_run": {"id": 99}}]}})
    done = _run(tmp_path, api, staging, target="staging")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "reviewed" / "plan.json").read_text() == staging["plan.json"]
    none = _api(**{f"{R}/actions/artifacts?name=plan-{HEAD}-production": {"artifacts": []}})
    missing = _run(tmp_path / "p", none, PLAN, target="production")
    assert missing.returncode == 1
    assert missing.stdout.startswith(f"::error::refusing to apply {SHA}: no "
                                     f"plan-{HEAD}-production artifact for pull request #7")


@pytest.mark.parametrize(
    ("api", "artifact", "why"),
    [
        (_api(**{f"{R}/commits/main": {"sha": OTHER}}), PLAN,
         f"main is now at {OTHER}, whose own run applies it"),
        (_api(**{f"{R}/commits/{SHA}/pulls": []}), PLAN,
         "it did not come from a merged pull request, so no plan was reviewed for it"),
        (_api(**{f"{R}/commits/{SHA}/pulls": [
            {"number": 6, "merged_at": None, "head": {"sha": HEAD}}]}), PLAN,
         "it did not come from a merged pull request"),
        (_api(**{f"{R}/actions/artifacts?name=plan-{HEAD}": {"artifacts": []}}), PLAN,
         f"no plan-{HEAD} artifact for pull request #7 at {HEAD}"),
        (_api(**{f"{R}/actions/runs/99": {"path": ".github/workflows/evil.yml"}}), PLAN,
         f"plan-{HEAD} was made by .github/workflows/evil.yml, not "
         ".github/workflows/reconciler.yml"),
        (_api(), {"plan.err": "error: desired state is invalid", "exit-code": "1"},
         f"the plan of pull request #7 at {HEAD} failed; fix it in a new pull request"),
    ],
    ids=["not-the-tip", "no-pull-request", "pull-request-not-merged", "no-artifact",
         "artifact-from-another-workflow", "plan-failed"],
)
def test_refusals_say_why(tmp_path: Path, api: dict[str, Any], artifact: dict[str, str],
                          why: str) -> None:
    done = _run(tmp_path, api, artifact)
    assert done.returncode == 1
    assert done.stdout.startswith(f"::error::refusing to apply {SHA}: {why}")
    assert not (tmp_path / "reviewed" / "plan.json").exists()


def test_a_plan_marked_stale_is_refused(tmp_path: Path) -> None:
    stale = {"stale": "main changed desired/a.yaml since this branch\n", "verdict": "stale\tx"}
    done = _run(tmp_path, _api(), stale)
    assert done.returncode == 1
    assert done.stdout.startswith(f"::error::refusing to apply {SHA}: the plan of pull request "
                                  f"#7 at {HEAD} went stale: main changed desired/a.yaml")


def test_a_tampered_artifact_with_a_stale_marker_and_a_plan_leaves_no_plan(tmp_path: Path) -> None:
    # A plan.json beside the stale marker (an artifact edited, or made by another definition
    # of the workflow) is removed, never applied.
    done = _run(tmp_path, _api(), {**PLAN, "stale": "main moved\n"})
    assert done.returncode == 1
    assert not (tmp_path / "reviewed" / "plan.json").exists()


def test_apply_before_merge_fetches_the_pull_requests_head_plan(tmp_path: Path) -> None:
    # No merge yet, and main's tip is not what is applied: the pull request's head is.
    api = _api(**{f"{R}/pulls/7": {"head": {"sha": HEAD}},
                  f"{R}/commits/main": {"sha": OTHER}})
    done = _run(tmp_path, api, PLAN, pr="7")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == (
        f"Applying the plan reviewed on pull request #7 ({HEAD}), plan run 99")
