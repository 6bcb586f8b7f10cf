"""A repository holding only desired/ calls the reusable workflow with one small file
(tests/ci/fixtures/caller/, the file the README shows): it is valid against gitops.yml's
inputs and permissions, pinned, and clean for actionlint and zizmor."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import reconciler
from tests.ci.harness import ROOT

CALLER = Path(__file__).parent / "fixtures" / "caller"
CALLER_FILE = CALLER / ".github" / "workflows" / "reconciler.yml"
GITOPS_FILE = ROOT / ".github" / "workflows" / "gitops.yml"
BIN = ROOT / ".venv" / "bin"
LEVEL = {"none": 0, "read": 1, "write": 2}


def _load(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_the_caller_is_about_twenty_lines_and_pins_a_release() -> None:
    text = CALLER_FILE.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 30
    job = _load(CALLER_FILE)["jobs"]["reconciler"]
    match = re.fullmatch(r"acme/reconciler/\.github/workflows/gitops\.yml@[0-9a-f]{40}",
                         job["uses"])
    assert match, job["uses"]
    # The pinned commit's comment names the release whose tool the workflow installs by default.
    version = f"v{reconciler.__version__}"
    assert f"{job['uses']} # {version}" in text
    assert _load(GITOPS_FILE)[True]["workflow_call"]["inputs"]["tool-ref"]["default"] == version
    assert "secrets" not in job  # environment secrets reach the called jobs as they are


def test_the_caller_gives_what_the_called_jobs_need() -> None:
    caller, gitops = _load(CALLER_FILE), _load(GITOPS_FILE)
    job = caller["jobs"]["reconciler"]
    inputs = gitops[True]["workflow_call"]["inputs"]
    assert set(job["with"]) <= set(inputs)
    assert {n for n, i in inputs.items() if i.get("required")} <= set(job["with"])
    # GitHub refuses the whole run when a called job asks for more than the caller grants.
    granted = job["permissions"]
    for name, called in gitops["jobs"].items():
        for scope, level in called["permissions"].items():
            assert LEVEL[granted.get(scope, "none")] >= LEVEL[level], (name, scope)
    # Every event the caller listens to is one the called workflow acts on, and back.
    events = set(caller[True])
    handled = set(re.findall(r"github\.event_name == '(\w+)'", GITOPS_FILE.read_text()))
    assert events == handled
    dispatch = caller[True]["workflow_dispatch"]["inputs"]
    assert dispatch["command"]["options"] == ["plan", "apply", "drift"] and "pr" in dispatch


def _actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "actionlint"), "-shellcheck=",
                           ".github/workflows/reconciler.yml"], cwd=repo, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.skipif(not (BIN / "actionlint").exists(), reason="skipped: actionlint not installed")
def test_actionlint_checks_the_call_against_the_reusable_workflow(tmp_path: Path) -> None:
    # actionlint reads a local reusable workflow's inputs and permissions; a remote one it
    # cannot, so the call is pointed at this repository's copy.
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (tmp_path / ".git").mkdir()  # actionlint resolves ./ calls inside a repository only
    shutil.copy(GITOPS_FILE, workflows / "gitops.yml")
    text = re.sub(r"acme/reconciler/\.github/workflows/gitops\.yml@\S+ # \S+",
                  "./.github/workflows/gitops.yml", CALLER_FILE.read_text(encoding="utf-8"))
    (workflows / "reconciler.yml").write_text(text, encoding="utf-8")
    done = _actionlint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (workflows / "reconciler.yml").write_text(text.replace("tool-repository", "tool-repo"))
    wrong = _actionlint(tmp_path)
    assert wrong.returncode == 1 and '"tool-repository" is required' in wrong.stdout


@pytest.mark.skipif(not (BIN / "zizmor").exists(), reason="skipped: zizmor not installed")
def test_the_caller_is_clean_for_zizmor_pedantic() -> None:
    done = subprocess.run([str(BIN / "zizmor"), "--pedantic", "--offline", str(CALLER_FILE)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_callers_desired_tree_is_valid() -> None:
    done = subprocess.run([str(BIN / "reconciler"), "validate", "--desired",
                           str(CALLER / "desired")], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
