"""desired/ sources -> a validated Estate, or every problem at once. Pure: no I/O."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reconciler.core.errors import DesiredError, Problem
from reconciler.core.input.checks import cross_check, is_reference_problem, shape_problems
from reconciler.core.input.desired import NAMED_SECTIONS, DesiredFile, Estate, Settings
from reconciler.core.input.labels import field_label
from reconciler.core.input.schema import DURATION_PATTERN, SHA256_PATTERN
from reconciler.core.input.suggest import did_you_mean, fields_at
from reconciler.core.input.yamlsource import Located, Path_, Source, YamlProblem, parse


@dataclass(frozen=True)
class Where:
    """Where an item was declared, for errors that point at two places."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class LoadedFile:
    name: str
    content: DesiredFile
    located: Located

    def where(self, path: Path_) -> Where:
        return Where(self.name, self.located.line_of(path))


def load_estate(sources: Iterable[Source]) -> Estate:
    """Validate and merge every source; raise DesiredError listing all problems found."""
    files = load_files(sources)
    problems = target_only(files)
    return merge_checked(files, problems)


def load_files(sources: Iterable[Source]) -> list[LoadedFile]:
    """Each source parsed and validated on its own; DesiredError with every problem found."""
    problems: list[Problem] = []
    with _no_cycle_collection():
        # Every file parsed, then every file validated: alternating between the YAML parser
        # and pydantic for each of thousands of small files costs a sixth more (CPU caches).
        parsed = [(s.name, _parse_file(s, problems)) for s in sources]
        files = [_validate_file(name, located, problems)
                 for name, located in parsed if located is not None]
    valid = [f for f in files if f is not None]
    if problems:
        # Every problem at once, not in rounds: the files that did validate are merged and
        # cross-checked too, except for references (a model "declared nowhere" may be declared
        # in a file that failed); the ones that failed are still searched for secret shapes.
        loaded = {f.name for f in valid}
        failed = [(name, located) for name, located in parsed
                  if located is not None and name not in loaded]
        raise DesiredError([*problems, *_also_wrong(valid, failed)])
    return valid


def _also_wrong(valid: list[LoadedFile], failed: list[tuple[str, Located]]) -> list[Problem]:
    estate, problems = _merge(valid)
    problems += [p for p in cross_check(valid, estate) if not is_reference_problem(p)]
    for name, located in failed:
        problems += shape_problems(name, located)
    return problems


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Loading builds a few hundred thousand objects and no reference cycles (aliases share
    finished values, never one being built): the cycle collector would walk the growing heap
    again and again for nothing, a fifth of the time of 10,000 one-agent files. Reference
    counting still frees everything; the collector resumes afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def merge_checked(files: list[LoadedFile], problems: list[Problem]) -> Estate:
    """Merge the files, check across them; DesiredError listing `problems` and any found."""
    with _no_cycle_collection():
        estate, merge_problems = _merge(files)
    problems = [*problems, *merge_problems, *cross_check(files, estate)]
    if problems:
        raise DesiredError(problems)
    return estate


def target_only(files: list[LoadedFile]) -> list[Problem]:
    """`gateway` and `overrides` belong to a target's files (desired/targets/NAME/)."""
    return [
        Problem(f.name, f.where((section,)).line, section,
                "only a target's files (desired/targets/NAME/) may declare this")
        for f in files for section in ("gateway", "overrides")
        if getattr(f.content, section) is not None
    ]


def _parse_file(source: Source, problems: list[Problem]) -> Located | None:
    """The file's mapping, or None (empty, or a problem added)."""
    try:
        located = parse(source.text)
    except YamlProblem as exc:
        label = field_label(None, exc.path) if exc.path else "yaml"
        problems.append(Problem(source.name, exc.line, label, exc.message))
        return None
    if located.data is None:
        return None
    if not isinstance(located.data, dict):
        problems.append(Problem(source.name, 1, "(file)", "the top level must be a mapping"))
        return None
    return located


def _validate_file(name: str, located: Located, problems: list[Problem]) -> LoadedFile | None:
    try:
        content = DesiredFile.model_validate(located.data)
    except ValidationError as exc:
        problems.extend(_problems_from(name, located, exc))
        return None
    return LoadedFile(name, content, located)


def _problems_from(name: str, located: Located, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not isinstance(part, str) or part)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field" + _suggestion(loc)
        elif error["type"] in _NO_COERCION and _quoted_value(error.get("input")):
            # Strict types: "50" stays text; say how to write the number or flag.
            message += f" ({error['input']!r} is quoted text: write it without quotes)"
        elif error["type"] == "bool_type":
            message += " (write true or false)"
        elif error["type"] == "string_pattern_mismatch":
            message = _FORMS.get(str((error.get("ctx") or {}).get("pattern")), message)
        problems.append(
            Problem(name, located.line_of(loc), field_label(located.data, loc), message)
        )
    return problems


def _suggestion(loc: tuple[Any, ...]) -> str:
    if not loc or not isinstance(loc[-1], str):
        return ""
    return did_you_mean(loc[-1], fields_at(loc[:-1]))


# What a value must look like, said in words rather than as the regular expression.
_FORMS = {
    DURATION_PATTERN: "not a duration: a whole number and a unit, one of 30s, 15m, 12h, 30d, 2w, "
    "3mo (seconds, minutes, hours, days, weeks, months)",
    SHA256_PATTERN: "not a sha256: 64 lower-case hexadecimal digits (sha256 of the raw key)",
}

_NO_COERCION = frozenset({"int_type", "float_type", "bool_type"})


def _quoted_value(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return value.lower() in ("true", "false")
    return True


def _merge(files: list[LoadedFile]) -> tuple[Estate, list[Problem]]:
    problems: list[Problem] = []
    settings = single_section(files, "settings", problems)
    estate = Estate(
        **{section: tuple(x for f in files for x in getattr(f.content, section))
           for section in NAMED_SECTIONS},
        config_models=frozenset(n for f in files for n in f.content.config_models),
        pinned=tuple(p for f in files for p in f.content.pinned),
        settings=settings if isinstance(settings, Settings) else Settings(),
        policy=single_section(files, "policy", problems),
        fallbacks=single_section(files, "fallbacks", problems),
        routing=single_section(files, "routing", problems),
        approval_at=_approval_at(files),
        declared=frozenset(s for f in files for s in NAMED_SECTIONS
                           if s in f.content.model_fields_set),
    )
    problems.extend(_duplicates(files))
    return estate, problems


def _approval_at(files: list[LoadedFile]) -> str:
    """file:line of the large-change approval, so the plan can say where it was declared."""
    path = ("settings", "safety", "approve_large_change")
    for f in files:
        settings = f.content.settings
        if settings is not None and settings.safety.approve_large_change is not None:
            return str(f.where(path))
    return ""


def single_section(files: list[LoadedFile], section: str, problems: list[Problem]) -> Any:
    """A section that may be declared in one file only (settings, fallbacks)."""
    found: tuple[Any, Where] | None = None
    for f in files:
        value = getattr(f.content, section)
        if value is None:
            continue
        here = f.where((section,))
        if found is not None:
            problems.append(_twice(here, section, section, found[1]))
        else:
            found = (value, here)
    return found[0] if found else None


def _twice(here: Where, field: str, what: str, first: Where) -> Problem:
    return Problem(here.file, here.line, field, f"{what} is defined twice (first at {first})")


def _duplicates(files: list[LoadedFile]) -> list[Problem]:
    """Every name declared twice, anywhere, naming both places."""
    # Where each name was first seen is looked up (its line) only once it is seen again.
    seen: dict[tuple[str, str], tuple[LoadedFile, Path_]] = {}
    problems = []
    for f in files:
        for section, field, values in _identities(f.content):
            for index, value in values:
                path = (section, index, field) if field else (section, index)
                first = seen.setdefault((section + "." + field, value), (f, path))
                if first[1] is not path:
                    label = field_label(f.located.data, path)
                    problems.append(_twice(f.where(path), label, f"{value!r}",
                                           first[0].where(first[1])))
    return problems


def _identities(content: DesiredFile) -> list[tuple[str, str, list[tuple[int, str]]]]:
    found = [
        (section, name, [(i, getattr(x, name)) for i, x in enumerate(items)])
        for section, name in NAMED_SECTIONS.items()
        if (items := getattr(content, section))
    ]
    if content.config_models:
        found.append(("config_models", "", list(enumerate(content.config_models))))
    if content.pinned:
        pinned = list(enumerate(content.pinned))
        found.append(("pinned", "alias", [(i, p.alias) for i, p in pinned if p.alias]))
        found.append(("pinned", "key_sha256",
                      [(i, p.key_sha256) for i, p in pinned if p.key_sha256]))
    return found
