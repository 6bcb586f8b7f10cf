"""The shipped CODEOWNERS example covers every shipped file that holds settings, pinned keys or
a policy (where the safety rails and large-change approvals live)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
GUARDED = ("settings", "pinned", "policy", "gateway")


def _patterns() -> list[str]:
    text = (ROOT / ".github" / "CODEOWNERS.example").read_text(encoding="utf-8")
    return [line.split()[0] for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def test_every_file_holding_rails_policy_or_pins_is_owned() -> None:
    guarded = [p for p in (ROOT / "desired").rglob("*.yaml")
               if set(yaml.safe_load(p.read_text(encoding="utf-8")) or {}) & set(GUARDED)]
    assert guarded
    for path in guarded:
        name = "/" + path.relative_to(ROOT).as_posix()
        assert any(fnmatch.fnmatch(name, pattern) for pattern in _patterns()), name


def test_every_line_names_an_owner() -> None:
    text = (ROOT / ".github" / "CODEOWNERS.example").read_text(encoding="utf-8")
    rules = [line.split() for line in text.splitlines() if line.strip() and line[0] != "#"]
    assert rules and all(len(rule) >= 2 and rule[1].startswith("@") for rule in rules)
