"""The distribution as a user installs it: a wheel built from this tree, in a fresh venv."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.packaging
def test_the_wheel_installs_into_a_fresh_venv_and_reports_its_version(tmp_path: Path) -> None:
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", ROOT)
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert [w.name for w in wheels] == [f"litellm_reconciler-{__version__}-py3-none-any.whl"]
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"litellm_reconciler-{__version__}.dist-info/METADATA").decode()
    assert f"litellm_reconciler-{__version__}.dist-info/licenses/LICENSE" in names
    assert "reconciler/sandbox/server.py" in names and "reconciler/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    for line in ("Name: litellm-reconciler", f"Version: {__version__}", "License-Expression: MIT",
                 "Author: reconciler authors", "Requires-Python: >=3.10"):
        assert line in metadata.splitlines()

    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(fresh)
    _run(fresh / "bin" / "python", "-m", "pip", "install", "-q", wheels[0])
    assert _run(fresh / "bin" / "reconciler", "--version", cwd=tmp_path) == (
        f"reconciler {__version__}\n")
    installed = _run(fresh / "bin" / "python", "-c",
                     "import importlib.metadata as m; print(m.version('litellm-reconciler'))",
                     cwd=tmp_path)
    assert installed.strip() == __version__
