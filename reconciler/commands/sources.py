"""Reading desired/ from disk: the only file input of the core, kept apart from the pure loader."""

from __future__ import annotations

from pathlib import Path

from reconciler.core.errors import DesiredError, Problem
from reconciler.core.yamlsource import Source


def read_sources(directory: Path) -> list[Source]:
    """Every *.yaml / *.yml under `directory`, any depth, sorted by path."""
    if not directory.is_dir():
        raise DesiredError([Problem(str(directory), 0, "(directory)", "no such directory")])
    paths = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    sources = []
    problems = []
    for path in paths:
        try:
            sources.append(Source(str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, "(file)", f"cannot read: {exc}"))
    if problems:
        raise DesiredError(problems)
    return sources
