"""The published JSON Schemas of the CLI's JSON outputs (schema/outputs/), as a test helper.

tests/e2e/harness.py `run_cli` checks every JSON output a test produces against these, so a
field renamed or retyped in code without its schema fails the suite.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent.parent / "schema" / "outputs"
# Commands whose `--format json` stdout is one document of the named schema.
JSON_STDOUT = {"plan": "plan", "show": "plan", "usage": "usage", "health": "health",
               "import": "import"}


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(name: str, data: Any) -> list[str]:
    """Every way `data` breaks schema `name`, as `path: message` lines (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator(name).iter_errors(data)]


def assert_valid(name: str, data: Any, origin: str) -> None:
    found = problems(name, data)
    assert not found, f"{origin} breaks schema/outputs/{name}.schema.json:\n" + "\n".join(found)


def check_cli_outputs(args: tuple[str, ...], cwd: Path, code: int, stdout: str) -> int:
    """Validate what one CLI run printed or wrote as JSON; returns how many documents."""
    if not args or code not in (0, 2, 3):
        return 0
    command, checked = args[0], 0
    if _option(args, "--format") == "json" and command in JSON_STDOUT and stdout.strip():
        assert_valid(JSON_STDOUT[command], json.loads(stdout), f"{command} --format json")
        checked += 1
    files: list[tuple[str, str | None]] = []
    if command == "plan":
        files.append(("plan", _option(args, "--out")))
    if command == "apply":
        files.append(("apply-report", _option(args, "--report") or "apply-report.json"))
    for name, where in files:
        path = cwd / where if where else None
        if path is not None and path.is_file():
            assert_valid(name, json.loads(path.read_text(encoding="utf-8")), str(path))
            checked += 1
    if command == "apply":
        log = _option(args, "--audit-log") or ".reconciler/audit.jsonl"
        checked += _check_audit_log(cwd / log)
    return checked


def _check_audit_log(path: Path) -> int:
    if not path.is_file():
        return 0
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, line in enumerate(lines, 1):
        assert_valid("apply-report", json.loads(line), f"{path}:{number}")
    return len(lines)


def _option(args: tuple[str, ...], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
