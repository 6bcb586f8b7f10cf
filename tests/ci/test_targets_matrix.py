"""scripts/ci/targets.sh: the workflows' jobs per target, from desired/targets/NAME/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ci" / "targets.sh"


def _run(desired: Path) -> tuple[int, str, str]:
    output = desired.parent / "github_output"
    output.write_text("", encoding="utf-8")
    # The script reads settings.promotion with the tool's loader: this interpreter's.
    env = {**os.environ, "DESIRED": str(desired), "GITHUB_OUTPUT": str(output),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    return done.returncode, output.read_text(encoding="utf-8"), done.stdout


def test_no_targets_is_one_job_for_the_single_gateway(tmp_path: Path) -> None:
    (tmp_path / "desired").mkdir()
    assert _run(tmp_path / "desired")[:2] == (0, 'targets=[""]\norder=the gateway\n')
    shipped = tmp_path / "shipped" / "desired"  # a copy: the output file goes beside it
    shutil.copytree(ROOT / "desired", shipped)
    assert _run(shipped)[0] == 0  # the repository's own desired/ has none


def test_staging_and_production_alone_keep_their_order(tmp_path: Path) -> None:
    for name in ("staging", "production"):
        (tmp_path / "desired" / "targets" / name).mkdir(parents=True)
    (tmp_path / "desired" / "targets" / "README.md").write_text("x", encoding="utf-8")
    code, output, _ = _run(tmp_path / "desired")
    assert (code, output) == (0, 'targets=["staging","production"]\n'
                                 'order=staging, then production\n')


def test_any_names_in_the_declared_order(tmp_path: Path) -> None:
    for name in ("b-eu", "a-us", "c-asia"):
        (tmp_path / "desired" / "targets" / name).mkdir(parents=True)
    (tmp_path / "desired" / "s.yaml").write_text("settings: {promotion: [c-asia, a-us, b-eu]}\n")
    code, output, _ = _run(tmp_path / "desired")
    assert (code, output) == (0, 'targets=["c-asia","a-us","b-eu"]\n'
                                 'order=c-asia, then a-us, then b-eu\n')


def test_an_order_that_misses_or_invents_a_target_is_refused(tmp_path: Path) -> None:
    for name in ("eu", "us"):
        (tmp_path / "desired" / "targets" / name).mkdir(parents=True)
    code, output, out = _run(tmp_path / "desired")
    assert (code, output) == (1, "")
    assert out.startswith("::error::desired/targets/ holds eu us: declare the order")
    (tmp_path / "desired" / "s.yaml").write_text("settings: {promotion: [eu]}\n")
    code, _, out = _run(tmp_path / "desired")
    assert code == 1 and out.startswith("::error::desired/targets/us/ is not in settings.promotion")
    (tmp_path / "desired" / "s.yaml").write_text("settings: {promotion: [eu, us, asia]}\n")
    code, _, out = _run(tmp_path / "desired")
    assert code == 1
    assert out.startswith("::error::settings.promotion names asia, which has no folder")


def test_a_bad_folder_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "desired" / "targets" / "Bad Name").mkdir(parents=True)
    code, output, out = _run(tmp_path / "desired")
    assert (code, output) == (1, "") and "no target name" in out
