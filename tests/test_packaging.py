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
                 "Author: reconciler authors", "Requires-Python: >=3.10",
                 "Project-URL: Source, https://github.com/acme/reconciler",
                 "Project-URL: Issues, https://github.com/acme/reconciler/issues"):
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


@pytest.mark.packaging
def test_the_sdist_holds_what_its_tests_need_and_they_pass_from_it(tmp_path: Path) -> None:
    """Built by the project's own backend (setuptools>=77, as pyproject asks), unpacked, and a
    slice of its own tests run from the unpacked tree: nothing they read is missing."""
    import tarfile

    builder = tmp_path / "builder"
    venv.EnvBuilder(with_pip=True).create(builder)
    _run(builder / "bin" / "python", "-m", "pip", "install", "-q", "setuptools>=77", "wheel")
    _run(builder / "bin" / "python", "-c", "from setuptools import build_meta as b; "
         f"b.build_sdist({str(tmp_path / 'dist')!r})", cwd=ROOT)
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
        archive.extractall(tmp_path / "src", filter="data")
    for needed in ("tests/unit/test_loader.py", "tests/recorded", "desired/gateway.yaml",
                   "schema/desired.schema.json", "schema/outputs/usage.schema.json",
                   "scripts/demo.sh", ".github/workflows/ci.yml", "SKILL.md", "LICENSE"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.startswith((".venv", ".sandbox"))]
    (tree,) = (tmp_path / "src").iterdir()
    _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/unit/test_loader.py", "tests/unit/test_layout.py", "tests/unit/test_cli_help.py",
         cwd=tree)
