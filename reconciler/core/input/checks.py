"""Cross-file checks on a merged estate: references, secrets, pinned keys. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reconciler.core.errors import Problem
from reconciler.core.input.desired import CROSS_CHECKS, Estate
from reconciler.core.input.labels import field_label
from reconciler.core.input.policy import policy_problems
from reconciler.core.input.secrets import (
    ENV_REFERENCE,
    leaves_where,
    secret_names_with_literals,
    secret_shapes,
)

if TYPE_CHECKING:
    from reconciler.core.input.loader import LoadedFile
    from reconciler.core.input.yamlsource import Located

# What `reconciler import` writes where the gateway hides a secret: refused until replaced.
_PLACEHOLDER = ENV_REFERENCE + "REPLACE_ME_"
_FILL_IN = "name the environment variable the gateway reads this secret from (or remove it)"


def cross_check(files: list[LoadedFile], estate: Estate) -> list[Problem]:
    problems: list[Problem] = []
    known = estate.model_names()
    pinned = {p.alias for p in estate.pinned if p.alias}
    for f in files:
        # A desired/ of one file per agent has thousands of files: sections a file does not
        # declare are not looked at.
        content = f.content
        if content.agents:
            problems.extend(_unknown_models(f, known))
        if content.fallbacks:
            problems.extend(_fallback_problems(f, known))
        if content.agents and pinned:
            problems.extend(_pinned_conflicts(f, pinned))
        problems.extend(_literal_secrets(f))
        if content.models:
            problems.extend(_policy(f, estate))
        for check in CROSS_CHECKS:
            problems.extend(_problem(f, path, message) for path, message in check(content, estate))
    # One value can trip two secret rules; one line about it is enough.
    unique = {(p.file, p.line, p.field): p for p in reversed(problems)}
    return list(reversed(unique.values()))


def _problem(f: LoadedFile, path: tuple[Any, ...], message: str) -> Problem:
    return Problem(f.name, f.located.line_of(path), field_label(f.located.data, path), message)


def _unknown_models(f: LoadedFile, known: set[str]) -> Iterator[Problem]:
    for i, agent in enumerate(f.content.agents):
        for j, name in enumerate(agent.models):
            if name not in known:
                yield _problem(f, ("agents", i, "models", j), _nowhere(name))


def _fallback_problems(f: LoadedFile, known: set[str]) -> Iterator[Problem]:
    for group, targets in (f.content.fallbacks or {}).items():
        if group not in known:
            yield _problem(f, ("fallbacks", group), _nowhere(group))
        for j, name in enumerate(targets):
            path = ("fallbacks", group, j)
            if name == group:
                yield _problem(f, path, f"{group!r} cannot fall back to itself")
            elif name in targets[:j]:
                yield _problem(f, path, f"{name!r} is listed twice")
            elif name not in known:
                yield _problem(f, path, _nowhere(name))
    cycle = fallback_cycle(f.content.fallbacks or {})
    if cycle:
        yield _problem(f, ("fallbacks", cycle[0]), "fallbacks loop: " + " -> ".join(cycle))


def fallback_cycle(fallbacks: dict[str, list[str]]) -> list[str] | None:
    """One loop in the fallback graph (A -> B -> A) as the groups along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: explored, no loop through it
    for start in sorted(fallbacks):
        if state.get(start):
            continue
        path, todo = [start], [iter(fallbacks.get(start, []))]
        state[start] = 1
        while todo:
            target = next(todo[-1], None)
            if target is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(target) == 1 and target != path[-1]:  # A -> A is reported apart
                return [*path[path.index(target):], target]
            elif not state.get(target):
                state[target] = 1
                path.append(target)
                todo.append(iter(fallbacks.get(target, [])))
    return None


_NOWHERE = "is declared nowhere (add it under models: or config_models:)"


def _nowhere(name: str) -> str:
    return f"model {name!r} {_NOWHERE}"


def is_reference_problem(problem: Problem) -> bool:
    """A name declared nowhere (a model, a team, a user, a budget): noise when a file that
    failed to load may declare it."""
    return " is declared nowhere (" in problem.message


def shape_problems(name: str, located: Located) -> list[Problem]:
    """Secret shapes (sk- keys, user:password@ URLs, Bearer values) and import placeholders in
    a file that failed validation: reported with its other problems, not one round later."""
    shapes, placeholders = secret_shapes(located.data, _is_placeholder)
    found = [(path, message) for path, message in shapes]
    found += [(path, "placeholder from `reconciler import`: " + _FILL_IN) for path in placeholders]
    return [Problem(name, located.line_of(path), field_label(located.data, path), message)
            for path, message in found]


def _pinned_conflicts(f: LoadedFile, pinned_aliases: set[str]) -> Iterator[Problem]:
    for i, agent in enumerate(f.content.agents):
        if agent.name in pinned_aliases:
            yield _problem(
                f,
                ("agents", i, "name"),
                f"{agent.name!r} is a pinned key: no plan may change it; remove this agent",
            )


def _literal_secrets(f: LoadedFile) -> Iterator[Problem]:
    data = f.located.data
    for section, field in (("models", "litellm_params"), ("models", "model_info"),
                           ("agents", "metadata")):
        for i, item in enumerate(data.get(section) or []):
            base = (section, i, field)
            for path, message in secret_names_with_literals(item.get(field), base):
                yield _problem(f, path, message)
    # One walk finds both shapes and placeholders; where the file shares subtrees (aliases),
    # placeholders are looked for apart, so each is reported where it is first met.
    shared = f.located.aliases > 0
    shapes, placeholders = secret_shapes(data, None if shared else _is_placeholder)
    for path, message in shapes:
        yield _problem(f, path, message)
    for path in leaves_where(data, _is_placeholder) if shared else placeholders:
        yield _problem(f, path, "placeholder from `reconciler import`: " + _FILL_IN)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_PLACEHOLDER)


def _policy(f: LoadedFile, estate: Estate) -> Iterator[Problem]:
    for i, model in enumerate(f.content.models):
        for path, message in policy_problems(model, estate.policy, ("models", i)):
            yield _problem(f, path, message)
