"""The scheduled drift workflow: security properties, and the plan fields its script reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan, Untouched

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "drift.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))


def test_runs_on_a_schedule_with_least_privilege() -> None:
    workflow = load()
    assert workflow[True]["schedule"][0]["cron"]  # PyYAML reads `on` as True
    assert workflow["permissions"] == {}
    plan, issue = workflow["jobs"]["plan"], workflow["jobs"]["issue"]
    # The job with the gateway credential cannot write; the job that writes has no credential.
    assert plan["permissions"] == {"contents": "read"} and plan["environment"]
    assert issue["permissions"] == {"issues": "write"} and "environment" not in issue
    assert "secrets." not in yaml.safe_dump(issue)
    for step in plan["steps"]:
        if "actions/checkout" in step.get("uses", ""):
            assert step["with"]["persist-credentials"] is False


def test_actions_are_pinned_by_commit() -> None:
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]
    assert uses and [u for u in uses if not PINNED.match(u)] == []


def test_the_script_reads_fields_the_plan_json_has() -> None:
    workflow = load()
    run = next(s["run"] for s in workflow["jobs"]["plan"]["steps"] if s.get("name") == "plan")
    assert "reconciler plan --format drift --out plan.json > drift.md" in run
    script = workflow["jobs"]["issue"]["steps"][-1]["with"]["script"]
    assert "plan.changes.filter((c) => c.drift)" in script and "plan.holds" in script
    data = Plan(changes=(Change("key", Verb.UPDATE, "a", drift=True),),
                holds=(Untouched("held_key", "b", "x"),)).data
    assert data["changes"][0]["drift"] is True and data["holds"][0]["name"] == "b"
