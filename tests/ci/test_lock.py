"""scripts/ci/requirements.lock: every dependency of the tool and its build backend, pinned by
version and hash, so the workflows' two pip lines fetch nothing unhashed."""

from __future__ import annotations

import re

import tomllib

from tests.ci.harness import ROOT

LOCK = ROOT / "scripts" / "ci" / "requirements.lock"


def _pins() -> dict[str, str]:
    text = re.sub(r" *\\\n\s*", " ", LOCK.read_text(encoding="utf-8"))
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[a-z0-9-]+==\S+ --hash=sha256:[0-9a-f]{64}", line), line
            name, _, rest = line.partition("==")
            pins[name] = rest.split()[0]
    return pins


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_dependency_and_the_build_backend_by_hash() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {_name(r) for r in project["project"]["dependencies"]}
    needed |= {_name(r) for r in project["build-system"]["requires"]}
    assert needed <= set(_pins())


def test_the_lock_satisfies_the_declared_ranges() -> None:
    pins = _pins()
    major = {name: int(v.split(".")[0]) for name, v in pins.items()}
    assert major["pydantic"] == 2 and major["pyyaml"] >= 6 and major["setuptools"] >= 77
