"""The pull request flow as GitHub would see it (scripts/ci/ with the fake gh): plans and their
statuses, main moving under open pull requests, the comment commands and who may use them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from tests.ci.harness import REPO, WORKFLOW, GitHub, R

pytestmark = pytest.mark.skipif(shutil.which("jq") is None, reason="skipped: jq not installed")

M0, M1 = "a0" * 20, "a1" * 20
H1, H2, H2B = "b1" * 20, "b2" * 20, "b3" * 20
RUN_URL = "https://github.example/acme/gateway/actions/runs/42"


def _pull(number: int, head: str, repo: str = REPO, **more: Any) -> dict[str, Any]:
    return {"number": number, "state": "open", "draft": False, "mergeable": True,
            "head": {"sha": head, "repo": {"full_name": repo}}, "base": {"ref": "main"},
            **more}


def _github(tmp_path: Path) -> GitHub:
    return GitHub.make(tmp_path / "gh", {
        f"{R}/commits/main": {"sha": M0},
        f"{R}/pulls/1": _pull(1, H1),
        f"{R}/pulls/2": _pull(2, H2),
        f"{R}/pulls": [_pull(1, H1), _pull(2, H2)],
        f"{R}/pulls/1/files": [{"filename": "desired/agents/a.yaml"}],
        f"{R}/pulls/2/files": [{"filename": "desired/agents/b.yaml"}],
        f"{R}/compare/{H1}...{M0}": {"files": []},
        f"{R}/compare/{H2}...{M0}": {"files": []},
    })


def _plan_file(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "plan.json"
    plan = data or Plan(changes=(Change("key", Verb.UPDATE, "妮可",
                                        after={"max_budget": 25}),)).data
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def _plan_run(gh: GitHub, tmp_path: Path, pr: int, plan: Path, order: str = "the gateway",
              **env: str) -> dict[str, str]:
    """One plan run for `pr`, job by job as the workflow chains them: pr, plan, comment."""
    context = gh.run("pr-context.sh", {"PR": str(pr), "TOOL_REF": ""})
    assert context.returncode == 0, context.stdout + context.stderr
    outputs = gh.outputs()
    if outputs["plan"] != "true":
        return outputs
    out = tmp_path / f"out-{pr}-{outputs['head_sha'][:4]}"
    planned = gh.run("plan-comment.sh", {
        "PR_DESIRED": "desired", "OUT": str(out), "HEAD_SHA": outputs["head_sha"],
        "RUN_URL": RUN_URL, "TARGET": "", "STALE": outputs["stale"], "ORDER": order,
        "FAKE_PLAN": str(plan), **env})
    assert planned.returncode in (0, 1), planned.stderr
    posted = gh.run("post-plan.sh", {"PR": str(pr), "HEAD_SHA": outputs["head_sha"],
                                     "TARGET": "", "OUT": str(out), "RUN_URL": RUN_URL})
    assert posted.returncode == 0, posted.stdout + posted.stderr
    return outputs


def test_two_pull_requests_the_second_goes_stale_when_the_first_merges(tmp_path: Path) -> None:
    gh, plan = _github(tmp_path), _plan_file(tmp_path)
    for pr in (1, 2):
        _plan_run(gh, tmp_path, pr, plan)
    assert gh.status(H1)["state"] == gh.status(H2)["state"] == "success"
    [comment] = gh.comments(2)
    assert comment.startswith("<!-- reconciler-plan -->\n### reconciler plan")
    assert comment.endswith("\n**On merge:** apply to the gateway.\n")

    # #1 merges: main moves to M1, which changed desired/agents/a.yaml.
    gh.update(**{f"{R}/commits/main": {"sha": M1}, f"{R}/pulls": [_pull(2, H2)],
                 f"{R}/compare/{H2}...{M1}": {"files": [{"filename": "README.md"},
                                                        {"filename": "desired/agents/a.yaml"}]}})
    moved = gh.run("main-moved.sh", {"BRANCH": "main", "SHA": M1, "RUN_URL": RUN_URL}, "mark")
    assert moved.returncode == 0, moved.stderr
    # At once, before any re-plan: #2 cannot pass a required reconciler/plan check...
    assert gh.status(H2) == {"state": "pending", "context": "reconciler/plan",
                             "description": f"main moved to {M1[:7]}: re-planning against it",
                             "target_url": RUN_URL}
    # ...and its comment says in one line that it is stale.
    [comment] = gh.comments(2)
    assert comment.splitlines()[1] == (f"> **Stale:** main moved to {M1[:7]}: re-planning against "
                                       "it; this plan may no longer be what apply would run.")
    gh.clear_writes()
    # The workflow hands over github.workflow_ref: the caller's file, whatever it is called.
    replan = gh.run("main-moved.sh", {"BRANCH": "main", "SHA": M1, "RUN_URL": RUN_URL,
                                      "WORKFLOW_REF": f"{REPO}/{WORKFLOW}@refs/heads/main"},
                    "replan")
    assert replan.returncode == 0, replan.stderr
    assert gh.dispatches() == [{"method": "DISPATCH", "endpoint": WORKFLOW, "ref": "main",
                                "fields": {"pr": "2"}}]

    # The dispatched re-plan: #2's branch lacks main's change to desired/, so apply would
    # refuse its plan (desired/ at the merge would not be the planned one): marked stale.
    calls_before = (gh.root / "reconciler").read_text().count("plan")
    _plan_run(gh, tmp_path, 2, plan)
    assert (gh.root / "reconciler").read_text().count("plan") == calls_before  # not planned
    status = gh.status(H2)
    assert status["state"] == "failure"
    assert status["description"] == (f"stale: main changed desired/agents/a.yaml since this "
                                      f"branch (now at {M1[:7]}): merge main into it to plan again")
    [comment] = gh.comments(2)
    assert "### reconciler plan: stale" in comment and "> **Stale:**" not in comment
    assert comment.endswith("**On merge:** nothing is applied until the plan is made again.\n")

    # The author merges main into the branch: re-planned, current again.
    gh.update(**{f"{R}/pulls/2": _pull(2, H2B), f"{R}/compare/{H2B}...{M1}": {"files": []}})
    _plan_run(gh, tmp_path, 2, plan)
    assert gh.status(H2B)["state"] == "success"
    assert gh.status(H2B)["description"] == "plan: 0 to add, 1 to change, 0 to destroy"
    [comment] = gh.comments(2)  # still the one sticky comment
    assert "stale" not in comment.lower() and "**Plan: from" in comment


def test_a_pull_request_not_touching_desired_is_left_alone(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    gh.update(**{f"{R}/pulls/2/files": [{"filename": "README.md"}]})
    done = gh.run("main-moved.sh", {"BRANCH": "main", "SHA": M1, "WORKFLOW": WORKFLOW,
                                    "RUN_URL": RUN_URL}, "replan")
    assert done.returncode == 0
    assert [d["fields"] for d in gh.dispatches()] == [{"pr": "1"}]


def test_a_plan_apply_would_refuse_is_shown_as_such(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    data = Plan(changes=(Change("key", Verb.UPDATE, "a"),)).data
    data["safety"] = {"verdict": "refused", "total_changes": 9, "approval": None, "rails": [
        {"kind": "key", "measure": "destroy", "count": 9, "base": 10, "share": 0.9,
         "limit": 0.3, "checked": True, "exceeded": True}]}
    _plan_run(gh, tmp_path, 1, _plan_file(tmp_path, data), order="staging, then production")
    [comment] = gh.comments(1)
    assert "**Apply would refuse this plan:** it exceeds the safety rails (9 key destroys of 10)" \
        in comment
    assert comment.endswith("**On merge:** nothing is applied: apply refuses this plan.\n")
    assert gh.status(H1)["state"] == "failure"
    assert gh.status(H1)["description"].startswith("apply would refuse: over the safety rails")


def test_a_failed_plan_fails_the_status_and_says_why(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    _plan_run(gh, tmp_path, 1, _plan_file(tmp_path), FAKE_PLAN_CODE="1")
    assert gh.status(H1)["state"] == "failure"
    assert gh.status(H1)["description"] == "the plan failed: error: gateway unreachable"
    assert "### reconciler plan failed" in gh.comments(1)[0]


def test_the_comment_ends_with_what_merging_does_per_mode(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    _plan_run(gh, tmp_path, 1, _plan_file(tmp_path), order="staging, then production",
              APPLY_BEFORE_MERGE="true")
    assert gh.comments(1)[0].endswith(
        "**On `/reconciler apply`:** apply to staging, then production, then merge. "
        "**On merge** without it: the same, after the merge.\n")
    _plan_run(gh, tmp_path, 2, _plan_file(tmp_path), order="staging, then production")
    assert gh.comments(2)[0].endswith("**On merge:** apply to staging, then production.\n")


def test_a_fork_is_never_planned_with_the_key(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    gh.update(**{f"{R}/pulls/1": _pull(1, H1, repo="mallory/gateway")})
    outputs = _plan_run(gh, tmp_path, 1, _plan_file(tmp_path))
    assert outputs["plan"] == "false"
    assert gh.comments(1) == [] and not (gh.root / "reconciler").exists()


# --- comment commands -------------------------------------------------------------------

def _command(gh: GitHub, body: str, who: str, abm: str = "false", is_pr: str = "true"):
    return gh.run("command.sh", {"COMMENT_BODY": body, "COMMENTER": who, "COMMENT_ID": "77",
                                 "PR": "1", "IS_PR": is_pr, "BRANCH": "main",
                                 "WORKFLOW": WORKFLOW, "APPLY_BEFORE_MERGE": abm})


def _people(gh: GitHub) -> None:
    gh.update(**{f"{R}/collaborators/alice/permission": {"permission": "write"},
                 f"{R}/collaborators/reader/permission": {"permission": "read"}})


@pytest.mark.parametrize("who", ["mallory", "reader"])
def test_a_command_from_someone_without_write_access_is_ignored(tmp_path: Path, who: str) -> None:
    gh = _github(tmp_path)
    _people(gh)
    for body in ("/reconciler plan", "/reconciler apply"):
        done = _command(gh, body, who, abm="true")
        assert done.returncode == 0
        assert f"ignored: {who} has no write access to {REPO}" in done.stdout
    assert gh.writes() == []  # no dispatch, no reaction, no reply


def test_a_writer_re_plans_by_comment(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    _people(gh)
    done = _command(gh, "/reconciler plan\r\n", "alice")
    assert done.returncode == 0, done.stderr
    assert gh.dispatches() == [{"method": "DISPATCH", "endpoint": WORKFLOW, "ref": "main",
                                "fields": {"pr": "1", "command": "plan"}}]
    assert {"method": "POST", "endpoint": f"{R}/issues/comments/77/reactions",
            "fields": {"content": "eyes"}} in gh.writes()


@pytest.mark.parametrize(("body", "is_pr"), [
    ("/reconciler plan please", "true"), ("please /reconciler plan", "true"),
    ("/reconciler destroy", "true"), ("/reconciler plan", "false")])
def test_anything_but_a_command_on_a_pull_request_is_ignored(tmp_path: Path, body: str,
                                                             is_pr: str) -> None:
    gh = _github(tmp_path)
    _people(gh)
    assert _command(gh, body, "alice", is_pr=is_pr).returncode == 0
    assert gh.writes() == []


def _ready(gh: GitHub) -> None:
    """#1 approved at its head, mergeable, up to date, planned."""
    gh.update(**{
        f"{R}/compare/main...{H1}": {"behind_by": 0},
        f"{R}/pulls/1/reviews": [
            {"user": {"login": "bob"}, "state": "APPROVED", "commit_id": H1,
             "submitted_at": "2026-12-01T10:00:00Z"}],
        f"{R}/commits/{H1}/statuses": [{"context": "reconciler/plan", "state": "success"}]})


def test_apply_before_merge_is_dispatched_only_for_a_ready_pull_request(tmp_path: Path) -> None:
    gh = _github(tmp_path)
    _people(gh)
    _ready(gh)
    off = _command(gh, "/reconciler apply", "alice", abm="false")
    assert off.returncode == 0 and gh.dispatches() == []
    assert "apply-before-merge is off here" in gh.comments(1)[-1]
    done = _command(gh, "/reconciler apply", "alice", abm="true")
    assert done.returncode == 0, done.stderr
    assert [d["fields"] for d in gh.dispatches()] == [{"pr": "1", "command": "apply"}]


@pytest.mark.parametrize(("change", "why"), [
    ({f"{R}/pulls/1/reviews": []}, f"#1 has no approval of its head commit {H1[:7]}"),
    ({f"{R}/pulls/1/reviews": [  # approved an older commit, then a push
        {"user": {"login": "bob"}, "state": "APPROVED", "commit_id": H2,
         "submitted_at": "2026-12-01T10:00:00Z"}]}, "#1 has no approval of its head commit"),
    ({f"{R}/pulls/1/reviews": [
        {"user": {"login": "bob"}, "state": "APPROVED", "commit_id": H1,
         "submitted_at": "2026-12-01T10:00:00Z"},
        {"user": {"login": "carol"}, "state": "CHANGES_REQUESTED", "commit_id": H1,
         "submitted_at": "2026-12-01T11:00:00Z"}]}, "#1 has changes requested"),
    ({f"{R}/compare/main...{H1}": {"behind_by": 2}}, "#1 is 2 commit(s) behind main"),
    ({f"{R}/pulls/1": _pull(1, H1, mergeable=False)}, "#1 is not mergeable"),
    ({f"{R}/pulls/1": _pull(1, H1, repo="mallory/gateway")}, "#1 comes from a fork"),
    ({f"{R}/commits/{H1}/statuses": [{"context": "reconciler/plan", "state": "pending"},
                                     {"context": "reconciler/plan", "state": "success"}]},
     "the plan of " + H1[:7] + " is not current: reconciler/plan is pending"),
    ({f"{R}/commits/{H1}/statuses": []}, f"{H1[:7]} has no plan yet"),
], ids=["no-approval", "approval-of-an-older-commit", "changes-requested", "behind-main",
        "not-mergeable", "fork", "plan-pending-after-main-moved", "never-planned"])
def test_apply_before_merge_refusals_say_why(tmp_path: Path, change: dict[str, Any],
                                             why: str) -> None:
    gh = _github(tmp_path)
    _people(gh)
    _ready(gh)
    gh.update(**change)
    done = _command(gh, "/reconciler apply", "alice", abm="true")
    assert done.returncode == 0 and gh.dispatches() == []
    assert gh.comments(1)[-1].startswith(f"@alice `/reconciler apply`: refused: {why}")
    # The dispatched run checks again itself: a dispatch by hand is refused the same way.
    gate = gh.run("apply-gate.sh", {"PR": "1"})
    assert gate.returncode == 1 and gate.stderr.startswith(f"::error::{why}")
