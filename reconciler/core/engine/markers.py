"""The ownership marker: written on every object the tool creates, the one thing that makes
a live object "managed". Without this scope's marker the tool never modifies an object. Pure."""

from __future__ import annotations

MARKER_FIELD = "managed_by"
MARKER_VALUE = "reconciler"


def marker_for(scope: str) -> str:
    """The marker value for a scope; the default scope keeps the plain marker."""
    return MARKER_VALUE if scope == "default" else f"{MARKER_VALUE}/{scope}"


def read_marker(value: object) -> str | None:
    """The reconciler marker (any scope) in a live field, or None."""
    if value == MARKER_VALUE or (isinstance(value, str) and value.startswith(MARKER_VALUE + "/")):
        return value
    return None


def owner(marker: str | None) -> str:
    """Who owns an object, as the guard's refusals say it."""
    return f"marker {marker}" if marker else "not created by this tool"
