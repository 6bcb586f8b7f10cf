"""Cross-file checks on a merged estate: references, secrets, pinned keys. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reconciler.core.desired import ENV_REFERENCE, SECRET_PARAM, Estate
from reconciler.core.errors import Problem

if TYPE_CHECKING:
    from reconciler.core.loader import LoadedFile

# A literal LiteLLM/OpenAI-style key anywhere in desired/ is a leak waiting for a merge.
_LITERAL_KEY = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{6,}")
_PLACEHOLDER = ENV_REFERENCE + "REPLACE_ME_"
_FILL_IN = "name the environment variable the gateway reads this secret from (or remove it)"


def cross_check(files: list[LoadedFile], estate: Estate) -> list[Problem]:
    problems: list[Problem] = []
    for f in files:
        problems.extend(_unknown_models(f, estate))
        problems.extend(_fallback_problems(f, estate))
        problems.extend(_pinned_conflicts(f, estate))
        problems.extend(_literal_secrets(f))
    # One value can trip two secret rules; one line about it is enough.
    unique = {(p.file, p.line, p.field): p for p in reversed(problems)}
    return list(reversed(unique.values()))


def _problem(f: LoadedFile, path: tuple[Any, ...], message: str) -> Problem:
    from reconciler.core.loader import field_label

    return Problem(f.name, f.located.line_of(path), field_label(f.located.data, path), message)


def _unknown_models(f: LoadedFile, estate: Estate) -> Iterator[Problem]:
    known = estate.model_names()
    for i, agent in enumerate(f.content.agents):
        for j, name in enumerate(agent.models):
            if name not in known:
                yield _problem(f, ("agents", i, "models", j), _nowhere(name))


def _fallback_problems(f: LoadedFile, estate: Estate) -> Iterator[Problem]:
    known = estate.model_names()
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


def _nowhere(name: str) -> str:
    return f"model {name!r} is declared nowhere (add it under models: or config_models:)"


def _pinned_conflicts(f: LoadedFile, estate: Estate) -> Iterator[Problem]:
    pinned_aliases = {p.alias for p in estate.pinned if p.alias}
    for i, agent in enumerate(f.content.agents):
        if agent.name in pinned_aliases:
            yield _problem(
                f,
                ("agents", i, "name"),
                f"{agent.name!r} is a pinned key: no plan may change it; remove this agent",
            )


def _literal_secrets(f: LoadedFile) -> Iterator[Problem]:
    for i, model in enumerate(f.content.models):
        for inner, value in _walk(model.litellm_params, ()):
            secret_name = any(isinstance(p, str) and SECRET_PARAM.search(p) for p in inner)
            if secret_name and _is_literal(value):
                path = ("models", i, "litellm_params", *inner)
                yield _problem(f, path, "literal secret: use an os.environ/VARIABLE reference")
    for path, value in _walk(f.located.data, ()):
        if isinstance(value, str) and value.startswith(_PLACEHOLDER):
            yield _problem(f, path, "placeholder from `reconciler import`: " + _FILL_IN)
        elif isinstance(value, str) and _LITERAL_KEY.search(value):
            yield _problem(f, path, "looks like a literal key: never commit secrets to desired/")


def _is_literal(value: Any) -> bool:
    # Flags (use_azure_ad_token: true) and unset values carry no secret; text and numbers can.
    if isinstance(value, bool) or value is None:
        return False
    return not (isinstance(value, str) and value.startswith(ENV_REFERENCE))


def _walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))
    else:
        yield path, node
