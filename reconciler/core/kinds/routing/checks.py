"""Offline checks of `routing:`: the groups its fallbacks and aliases name exist. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.core.input.desired import DesiredFile, Estate


def routing_problems(content: DesiredFile, estate: Estate) -> Iterator[tuple[tuple[Any, ...],
                                                                             str]]:
    routing = content.routing
    if routing is None:
        return
    known = estate.model_names()
    for group, targets in (routing.context_window_fallbacks or {}).items():
        for j, name in enumerate([group, *targets]):
            if name not in known:
                path = ("routing", "context_window_fallbacks", group) + ((j - 1,) if j else ())
                yield path, f"model {name!r} is declared nowhere (add it under models: or " \
                    "config_models:)"
    for alias, group in (routing.model_group_alias or {}).items():
        if group not in known:
            yield ("routing", "model_group_alias", alias), f"model {group!r} is declared " \
                "nowhere (add it under models: or config_models:)"
