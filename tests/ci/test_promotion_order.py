"""Any number of targets with any names, applied in the order settings.promotion declares, one
at a time, each in its own environment: the apply job's own steps, run as the workflow runs them
(scripts/ci/targets.sh, promotion-gate.sh and the apply step of gitops.yml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.ci.harness import ROOT, GitHub, R

pytestmark = pytest.mark.skipif(shutil.which("jq") is None, reason="skipped: jq not installed")

SHA = "d" * 40
RUN = "4242"
ORDER = ["us-west", "eu-canary", "global"]  # not the folders' sorted order
GITOPS = yaml.safe_load((ROOT / ".github/workflows/gitops.yml").read_text(encoding="utf-8"))
APPLY_JOB = GITOPS["jobs"]["apply"]
APPLY_STEP = next(s for s in APPLY_JOB["steps"] if s.get("name") == "apply")


def _desired(root: Path) -> Path:
    desired = root / "desired"
    desired.mkdir(parents=True)
    (desired / "settings.yaml").write_text(
        f"settings:\n  scope: shared\n  promotion: [{', '.join(ORDER)}]\n", encoding="utf-8")
    for name in ORDER:
        (desired / "targets" / name).mkdir(parents=True)
        var = name.upper().replace("-", "_")
        (desired / "targets" / name / "target.yaml").write_text(
            f"gateway: {{base_url_env: {var}_URL, admin_key_env: {var}_KEY}}\n"
            f"settings: {{scope: {name}}}\n", encoding="utf-8")
    return desired


def _targets(gh: GitHub, desired: Path) -> str:
    env = {"DESIRED": str(desired), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = gh.run("targets.sh", env)
    assert done.returncode == 0, done.stdout
    return gh.outputs()["targets"]


def _job(gh: GitHub, workdir: Path, targets: str, target: str, apply_code: str = "0") -> bool:
    """One matrix job of `apply`: the promotion gate, then the workflow's own apply step."""
    gate = gh.run("promotion-gate.sh", {"RUN_ID": RUN, "TARGETS": targets, "TARGET": target,
                                        "KEY": SHA})
    if gate.returncode != 0:
        (gh.root / "refusals").open("a").write(gate.stdout)
        return False
    # A runner's environment, not this test run's: the suite's own RECONCILER_* variables
    # (the real gateway's address when that tier runs) would show up in the step's output.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")}
    env = {**inherited, "PATH": f"{gh.root / 'bin'}:{Path(sys.executable).parent}:"
           f"{os.environ['PATH']}", "FAKE_GH": str(gh.root), "FAKE_APPLY_CODE": apply_code,
           "RUNNER_TEMP": str(workdir), "TARGET": target, "DESIRED": "pr/desired",
           "RECONCILER_SECRETS_CMD": "cat > /dev/null", "LITELLM_BASE_URL": f"https://{target}",
           "LITELLM_ADMIN_KEY": "sk-admin"}
    done = subprocess.run(["bash", "-e", "-c", APPLY_STEP["run"]], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    if done.returncode == 0:  # the upload of applied-<sha>-<target>, which the next gate reads
        gh.update(**{f"{R}/actions/runs/{RUN}/artifacts?name=applied-{SHA}-{target}":
                     {"total_count": 1}})
    return done.returncode == 0


def _workdir(tmp_path: Path) -> Path:
    workdir = tmp_path / "work"
    (workdir / "pr").mkdir(parents=True)
    _desired(workdir / "pr")
    (workdir / "tool").symlink_to(ROOT)
    return workdir


def _applied(gh: GitHub) -> list[str]:
    log = gh.root / "reconciler"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split("--target ")[1].split()[0] for line in lines if line.startswith("apply ")]


def test_three_custom_targets_apply_in_the_declared_order(tmp_path: Path) -> None:
    gh = GitHub.make(tmp_path / "gh", {})
    workdir = _workdir(tmp_path)
    targets = _targets(gh, workdir / "pr" / "desired")
    assert targets == '["us-west","eu-canary","global"]'
    # GitHub runs the matrix one job at a time, in the list's order (max-parallel: 1).
    assert [_job(gh, workdir, targets, t) for t in ORDER] == [True, True, True]
    assert _applied(gh) == ORDER
    # Each apply ran the reviewed plan with its own gateway only, under the names its target
    # declares (LITELLM_BASE_URL is unset, so no target can reach another's).
    log = (gh.root / "reconciler").read_text().splitlines()
    applies = [line for line in log if line.startswith("apply ")]
    assert all(f"apply {workdir}/reviewed/plan.json --desired pr/desired" in a for a in applies)
    assert [line.strip() for line in log if not line.startswith("apply ")] == [
        "US_WEST_URL=https://us-west", "EU_CANARY_URL=https://eu-canary",
        "GLOBAL_URL=https://global"]


def test_a_target_never_applies_before_the_one_ahead_of_it(tmp_path: Path) -> None:
    gh = GitHub.make(tmp_path / "gh", {})
    workdir = _workdir(tmp_path)
    targets = _targets(gh, workdir / "pr" / "desired")
    # A re-run of global's job alone, or a job started out of order, applies nothing.
    assert _job(gh, workdir, targets, "global") is False
    assert _job(gh, workdir, targets, "us-west") is True
    assert _job(gh, workdir, targets, "eu-canary", apply_code="1") is False  # its apply fails
    assert _job(gh, workdir, targets, "global") is False
    assert _applied(gh) == ["us-west", "eu-canary"]
    refusals = (gh.root / "refusals").read_text().splitlines()
    assert refusals == [
        f"::error::refusing to apply global: eu-canary, before it in settings.promotion, has not "
        f"applied {SHA[:7]} in this run"] * 2


def test_the_apply_matrix_runs_one_target_at_a_time_each_in_its_environment() -> None:
    strategy = APPLY_JOB["strategy"]
    assert strategy == {"max-parallel": 1, "fail-fast": True,
                        "matrix": {"target": "${{ fromJSON(needs.what.outputs.targets) }}"}}
    assert APPLY_JOB["environment"] == "${{ matrix.target || 'production' }}"
    assert APPLY_JOB["concurrency"] == {
        "group": "reconciler-apply-${{ matrix.target || 'production' }}",
        "cancel-in-progress": False}
    names = [s.get("name") for s in APPLY_JOB["steps"]]
    assert names.index("the target before this one applied first") < names.index("apply")
    upload = next(s for s in APPLY_JOB["steps"]
                  if s.get("name") == "let the next target go (promotion-gate.sh)")
    assert upload["with"]["name"] == ("applied-${{ needs.what.outputs.key }}${{ matrix.target "
                                      "&& format('-{0}', matrix.target) || '' }}")
    assert "if" not in upload  # uploaded only when every step before it succeeded
