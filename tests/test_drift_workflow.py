"""The drift jobs of gitops.yml: least privilege, the plan fields the issue script reads, and
the "merged, not applied" list (scripts/ci/unapplied.sh with the fake gh)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan, Untouched
from tests.ci.harness import GitHub, R

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "gitops.yml"
JOBS = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def test_drift_runs_on_a_schedule_with_least_privilege() -> None:
    assert "github.event_name == 'schedule'" in JOBS["drift-targets"]["if"]
    plan, issue = JOBS["drift"], JOBS["drift-issue"]
    # The job with the gateway credential cannot write; the job that writes has no credential.
    assert plan["permissions"] == {"contents": "read"} and plan["environment"]
    assert issue["permissions"] == {"issues": "write"} and "environment" not in issue
    assert "secrets." not in yaml.safe_dump(issue) + yaml.safe_dump(JOBS["unapplied"])
    assert JOBS["unapplied"]["permissions"] == {"contents": "read", "deployments": "read"}


def test_the_script_reads_fields_the_plan_json_has() -> None:
    run = next(s["run"] for s in JOBS["drift"]["steps"] if s.get("name") == "plan")
    assert "--format drift \\\n  --out drift/plan.json > drift/drift.md" in run
    script = JOBS["drift-issue"]["steps"][-1]["with"]["script"]
    assert "plan.changes.filter((c) => c.drift)" in script and "plan.holds" in script
    assert "unapplied.md" in script
    data = Plan(changes=(Change("key", Verb.UPDATE, "a", drift=True),),
                holds=(Untouched("held_key", "b", "x"),)).data
    assert data["changes"][0]["drift"] is True and data["holds"][0]["name"] == "b"


APPLIED, TIP = "e" * 40, "f" * 40


def _deployments(gh: GitHub, env: str, *entries: tuple[int, str, str]) -> None:
    gh.update(**{f"{R}/deployments?environment={env}&per_page=30":
                 [{"id": i, "sha": sha} for i, sha, _ in entries]})
    gh.update(**{f"{R}/deployments/{i}/statuses?per_page=1": [{"state": state}]
                 for i, _, state in entries})


@pytest.mark.skipif(shutil.which("jq") is None, reason="skipped: jq not installed")
def test_merged_but_not_applied_changes_are_listed_per_target(tmp_path: Path) -> None:
    api: dict[str, Any] = {
        f"{R}/commits/main": {"sha": TIP},
        f"{R}/compare/{APPLIED}...{TIP}": {
            "files": [{"filename": "desired/agents/a.yaml"}, {"filename": "README.md"}],
            "commits": [{"sha": "1" * 40}, {"sha": "2" * 40}]},
    }
    gh = GitHub.make(tmp_path / "gh", api)
    # staging: the newest deployment failed, the one before applied APPLIED;
    # production: applied main's tip; canary: never applied.
    _deployments(gh, "staging", (3, TIP, "failure"), (2, APPLIED, "success"))
    _deployments(gh, "production", (5, TIP, "success"))
    _deployments(gh, "canary")
    done = gh.run("unapplied.sh", {"BRANCH": "main", "OUT": str(tmp_path / "u.md"),
                                   "TARGETS": '["staging","production","canary"]'})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "u.md").read_text().splitlines() == [
        "#### Merged, not applied", "",
        f"- `staging`: main is 2 commit(s) past its last apply ({APPLIED[:7]}), changing "
        "`desired/agents/a.yaml`",
        "- `canary`: never applied from this repository (no successful deployment)"]
    _deployments(gh, "staging", (6, TIP, "success"))
    _deployments(gh, "canary", (7, TIP, "success"))
    gh.run("unapplied.sh", {"BRANCH": "main", "OUT": str(tmp_path / "u.md"),
                            "TARGETS": '["staging","production","canary"]'})
    assert (tmp_path / "u.md").read_text() == ""  # all applied: the issue can close
