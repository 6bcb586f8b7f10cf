"""What `reconciler block` / `unblock` read from desired/, even when the rest of it is broken.

An emergency block must not wait for someone to fix a typo in another team's file. The
incident commands need three things only: the pinned list (never touch those keys), the scope
(touch only this tree's keys) and, for a target, its gateway binding; `unblock` also asks
whether desired/ declares the agent `blocked: true`. Those sections are read and validated on
their own; anything else that is invalid is reported as skipped, not fatal. A file that cannot
be parsed at all is skipped only when no top-level `pinned:`, `settings:` or `gateway:` line
shows in its text: otherwise the pinned list or the scope could be wrong, and the command
refuses. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from reconciler.core.errors import DesiredError, Problem
from reconciler.core.input.desired import Estate, GatewayBinding, PinnedKey, Settings
from reconciler.core.input.labels import field_label
from reconciler.core.input.loader import Where
from reconciler.core.input.yamlsource import Located, Source, YamlProblem, parse

_NEEDED_LINE = re.compile(r"^(?:pinned|settings|gateway)\s*:", re.MULTILINE)
_PINNED = TypeAdapter(list[PinnedKey])


@dataclass(frozen=True)
class IncidentView:
    """The estate an incident command acts on (pinned and settings only), and why."""

    estate: Estate
    blocked_agents: frozenset[str]
    gateway: GatewayBinding | None = None


@dataclass
class _Read:
    pinned: list[PinnedKey]
    settings: list[tuple[Settings, Where]]
    gateway: GatewayBinding | None
    blocked: dict[str, bool]
    problems: list[Problem]


def incident_view(shared: Iterable[Source], own: Iterable[Source] = ()) -> IncidentView:
    """pinned, settings and gateway from every file, validated; DesiredError when they are not.

    `own`: a target's files, whose settings replace the shared ones (as in a full load)."""
    base, over = _read(shared), _read(own)
    problems = base.problems + over.problems
    settings = over.settings or base.settings
    if len({s.scope for s, _ in settings}) > 1:
        first, second = settings[0][1], settings[1][1]
        problems.append(Problem(second.file, second.line, "settings",
                                f"settings is defined twice (first at {first}): which scope?"))
    if problems:
        raise DesiredError(problems)
    estate = Estate(pinned=tuple(base.pinned + over.pinned),
                    settings=settings[0][0] if settings else Settings())
    blocked = {**base.blocked, **over.blocked}
    return IncidentView(estate, frozenset(n for n, b in blocked.items() if b), over.gateway)


def _read(sources: Iterable[Source]) -> _Read:
    found = _Read([], [], None, {}, [])
    for source in sources:
        located = _parsed(source, found.problems)
        if located is None or not isinstance(located.data, dict):
            continue
        data: dict[str, Any] = located.data
        if "pinned" in data:
            found.pinned += _valid(_PINNED, data["pinned"], ("pinned",), source, located,
                                   found.problems) or []
        if data.get("settings") is not None:
            settings = _valid(Settings, data["settings"], ("settings",), source, located,
                              found.problems)
            if settings is not None:
                where = Where(source.name, located.line_of(("settings",)))
                found.settings.append((settings, where))
        if data.get("gateway") is not None:
            found.gateway = _valid(GatewayBinding, data["gateway"], ("gateway",), source,
                                   located, found.problems) or found.gateway
        found.blocked.update(_blocked(data))
    return found


def _parsed(source: Source, problems: list[Problem]) -> Located | None:
    try:
        return parse(source.text)
    except YamlProblem as exc:
        if _NEEDED_LINE.search(source.text):
            problems.append(Problem(source.name, exc.line, "yaml",
                                    f"{exc.message} (this file declares pinned:, settings: or "
                                    "gateway:, which block and unblock must read)"))
        return None


def _valid(model: Any, value: Any, at: tuple[str, ...], source: Source, located: Located,
           problems: list[Problem]) -> Any:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(value)
        assert issubclass(model, BaseModel)
        return model.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path = (*at, *(p for p in error["loc"] if p != ""))
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append(Problem(source.name, located.line_of(path),
                                    field_label(located.data, path), message))
        return None


def _blocked(data: dict[str, Any]) -> dict[str, bool]:
    """Which agents a file declares blocked, read leniently: an agent entry that is invalid
    elsewhere still says `blocked: true`, and unblock must honour that."""
    found: dict[str, bool] = {}
    agents = data.get("agents")
    for entry in agents if isinstance(agents, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            found[unicodedata.normalize("NFC", entry["name"])] = entry.get("blocked") is True
    overrides = data.get("overrides")
    named = overrides.get("agents") if isinstance(overrides, dict) else None
    for name, fields in named.items() if isinstance(named, dict) else ():
        if isinstance(name, str) and isinstance(fields, dict) and "blocked" in fields:
            found[unicodedata.normalize("NFC", name)] = fields["blocked"] is True
    return found

