"""scripts/ci/targets.sh: the workflows' jobs per target, from desired/targets/NAME/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci" / "targets.sh"


def _run(desired: Path, only: str = "") -> tuple[int, str, str]:
    output = desired.parent / "github_output"
    output.write_text("", encoding="utf-8")
    env = {**os.environ, "DESIRED": str(desired), "GITHUB_OUTPUT": str(output), "ONLY": only}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    return done.returncode, output.read_text(encoding="utf-8"), done.stdout


def test_no_targets_is_one_job_for_the_single_gateway(tmp_path: Path) -> None:
    (tmp_path / "desired").mkdir()
    assert _run(tmp_path / "desired")[:2] == (0, 'targets=[""]\n')
    assert _run(ROOT / "desired")[0] == 0  # the repository's own desired/ has none


def test_every_target_folder_is_a_job(tmp_path: Path) -> None:
    for name in ("staging", "production"):
        (tmp_path / "desired" / "targets" / name).mkdir(parents=True)
    (tmp_path / "desired" / "targets" / "README.md").write_text("x", encoding="utf-8")
    code, output, _ = _run(tmp_path / "desired", "staging production")
    assert (code, output) == (0, 'targets=["production","staging"]\n')


def test_a_target_without_a_job_or_a_bad_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "desired" / "targets" / "eu-west").mkdir(parents=True)
    code, output, out = _run(tmp_path / "desired", "staging production")
    assert (code, output) == (1, "")
    assert out.startswith("::error::target eu-west has no job here")
    (tmp_path / "desired" / "targets" / "Bad Name").mkdir()
    code, output, out = _run(tmp_path / "desired")
    assert (code, output) == (1, "") and "no target name" in out
