"""Targets: one shared desired/ estate, several gateways. The overlay rule, pure (no I/O).

A target's files (desired/targets/NAME/) are laid over the shared tree:

- `settings`, `fallbacks`, `config_models` declared by the target replace the shared ones whole;
- `agents`, `models`, `pinned` add to the shared ones; a name declared in both is a duplicate
  error, never a silent replacement, and a target cannot remove a shared pinned key;
- `policy` is declared once per merged estate (shared or target): a target cannot loosen a
  shared policy;
- `overrides` changes named fields of a shared agent (by name) or model (by id); the result is
  validated like any declaration, and problems point at the override;
- `gateway` names the environment variables holding the target's address and admin key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.core.errors import DesiredError, Problem
from reconciler.core.input.desired import (
    Agent,
    DesiredFile,
    Estate,
    GatewayBinding,
    ModelDeployment,
)
from reconciler.core.input.loader import (
    LoadedFile,
    field_label,
    load_files,
    merge_checked,
    single_section,
    target_only,
)
from reconciler.core.input.policy import policy_problems
from reconciler.core.input.secrets import secret_names_with_literals
from reconciler.core.input.yamlsource import Path_, Source

REPLACED = ("settings", "fallbacks", "config_models", "routing")
TARGET_NAME = r"^[a-z0-9][a-z0-9_.\-]{0,62}$"
_IDENTITY = {"agents": "name", "models": "id"}
_KINDS: dict[str, type[BaseModel]] = {"agents": Agent, "models": ModelDeployment}


@dataclass(frozen=True)
class TargetEstate:
    """A target's merged estate and the variables naming its gateway (None: LITELLM_*)."""

    name: str
    estate: Estate
    gateway: GatewayBinding | None


@dataclass(frozen=True)
class _Override:
    file: LoadedFile
    kind: str  # agents | models
    key: str
    fields: dict[str, Any]

    @property
    def path(self) -> Path_:
        return ("overrides", self.kind, self.key)

    def problem(self, sub: Path_, message: str) -> Problem:
        path = (*self.path, *sub)
        return Problem(self.file.name, self.file.located.line_of(path),
                       field_label(self.file.located.data, path), message)


def load_target(name: str, shared: Iterable[Source], own: Iterable[Source]) -> TargetEstate:
    """The shared sources with the target's laid over them; DesiredError with every problem."""
    base, over = load_files(shared), load_files(own)
    problems = target_only(base) + _promotion_in_target(over)
    promotion = next((f.content.settings.promotion for f in base
                      if f.content.settings is not None), None)
    gateway = single_section(over, "gateway", problems)
    base = [_without(f, _replaced(over)) for f in base]
    overrides = [o for f in over for o in _overrides_of(f)]
    base, applied, override_problems = _apply_overrides(base, overrides)
    files = base + over
    # Overridden values are checked at the override first, so a problem names the target file
    # (cross_check would name the shared file, whose lines no longer hold those values).
    override_problems += _override_checks(applied, files)
    if override_problems:
        raise DesiredError(problems + override_problems + _target_problems(files, over))
    estate = merge_checked(files, problems)
    if estate.settings.promotion != promotion:  # a target's own settings replaced the shared
        settings = estate.settings.model_copy(update={"promotion": promotion})
        estate = estate.model_copy(update={"settings": settings})
    return TargetEstate(name, estate, gateway)


def _promotion_in_target(over: list[LoadedFile]) -> list[Problem]:
    """The order of targets is one decision for all of them: the shared files make it."""
    path = ("settings", "promotion")
    return [Problem(f.name, f.where(path).line, "settings.promotion",
                    "the order of targets is declared in the shared files (desired/), "
                    "not in a target")
            for f in over
            if f.content.settings is not None and f.content.settings.promotion is not None]


def _target_problems(files: list[LoadedFile], over: list[LoadedFile]) -> list[Problem]:
    """The merged checks' problems in the target's own files: all at once, as ever. (Those in
    shared files may be about an overridden item, already reported at its override.)"""
    own = {f.name for f in over}
    try:
        merge_checked(files, [])
    except DesiredError as exc:
        return [p for p in exc.problems if p.file in own]
    return []


def _replaced(over: list[LoadedFile]) -> set[str]:
    return {s for f in over for s in REPLACED if s in f.content.model_fields_set}


def _without(f: LoadedFile, sections: set[str]) -> LoadedFile:
    if not sections & f.content.model_fields_set:
        return f
    defaults = {s: DesiredFile.model_fields[s].get_default(call_default_factory=True)
                for s in sections}
    content = f.content.model_copy(update=defaults)
    return LoadedFile(f.name, content, f.located)


def _overrides_of(f: LoadedFile) -> Iterator[_Override]:
    if f.content.overrides is None:
        return
    for kind in _KINDS:
        for key, fields in getattr(f.content.overrides, kind).items():
            yield _Override(f, kind, key, fields)


def _apply_overrides(
    base: list[LoadedFile], overrides: list[_Override]
) -> tuple[list[LoadedFile], list[tuple[_Override, Any]], list[Problem]]:
    """Each shared item replaced (in place, so its file's lines stay true) by its override."""
    problems: list[Problem] = []
    applied: list[tuple[_Override, Any]] = []
    # kind -> file name -> that file's items, the overridden ones replaced as they come
    by_kind = {kind: {f.name: list(getattr(f.content, kind)) for f in base} for kind in _KINDS}
    # kind -> name or id -> (file name, index): first declaration wins, as duplicates are errors
    where = {kind: _positions(items, kind) for kind, items in by_kind.items()}
    seen: set[tuple[str, str]] = set()
    for o in overrides:
        if (o.kind, o.key) in seen:
            problems.append(o.problem((), f"{o.key!r} is overridden twice in this target"))
            continue
        seen.add((o.kind, o.key))
        items = by_kind[o.kind]
        found = where[o.kind].get(o.key)
        if found is None:
            problems.append(o.problem((), f"no shared {o.kind[:-1]} {o.key!r} to override "
                                          f"(declare a new one under {o.kind}:)"))
            continue
        file_name, index = found
        merged = _merged(items[file_name][index], o, problems)
        if merged is not None:
            items[file_name][index] = merged
            applied.append((o, merged))
    files = [LoadedFile(f.name, f.content.model_copy(update={
        kind: items[f.name] for kind, items in by_kind.items()}), f.located) for f in base]
    return files, applied, problems


def _positions(items: dict[str, list[Any]], kind: str) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for file_name, entries in items.items():
        for index, entry in enumerate(entries):
            found.setdefault(getattr(entry, _IDENTITY[kind]), (file_name, index))
    return found


def _merged(item: BaseModel, o: _Override, problems: list[Problem]) -> BaseModel | None:
    identity = _IDENTITY[o.kind]
    if identity in o.fields:
        problems.append(o.problem((identity,), "a name or id cannot be overridden"))
        return None
    data = {**item.model_dump(exclude_unset=True), **o.fields}
    try:
        return _KINDS[o.kind].model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if not isinstance(p, str) or p)
            problems.append(o.problem(loc, error["msg"].removeprefix("Value error, ")))
        return None


def _override_checks(
    applied: list[tuple[_Override, Any]], files: list[LoadedFile]
) -> list[Problem]:
    """What cross_check verifies per file, verified for overridden items at the override."""
    known = {m.model_name for f in files for m in f.content.models}
    known |= {n for f in files for n in f.content.config_models}
    policy = next((f.content.policy for f in files if f.content.policy), None)
    problems: list[Problem] = []
    for o, item in applied:
        for sub, message in secret_names_with_literals(o.fields, ()):
            problems.append(o.problem(sub, message))
        if isinstance(item, Agent):
            problems.extend(o.problem(("models", j), f"model {m!r} is declared nowhere (add "
                                      "it under models: or config_models:)")
                            for j, m in enumerate(item.models) if m not in known)
        else:
            problems.extend(o.problem(path, message)
                            for path, message in policy_problems(item, policy, ()))
    return problems
