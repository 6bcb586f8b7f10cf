"""Request-body checks that mirror FastAPI/pydantic 422 responses (format C)."""

from __future__ import annotations

from typing import Any

from .errors import validation_error
from .util import parse_bool

MISSING: Any = object()

# kind -> (accepted python types, pydantic error type, message)
_KINDS: dict[str, tuple[tuple[type, ...], str, str]] = {
    "str": ((str,), "string_type", "Input should be a valid string"),
    "list": ((list,), "list_type", "Input should be a valid list"),
    "dict": ((dict,), "dict_type", "Input should be a valid dictionary"),
    "number": ((int, float), "float_type", "Input should be a valid number"),
    "int": ((int,), "int_type", "Input should be a valid integer"),
    "bool": ((bool,), "bool_type", "Input should be a valid boolean"),
}


def body_object(body: Any) -> dict[str, Any]:
    if body is MISSING:
        raise validation_error("missing", ["body"], "Field required")
    if not isinstance(body, dict):
        raise validation_error(
            "model_attributes_type", ["body"],
            "Input should be a valid dictionary or object to extract fields from",
        )
    return body


def check_types(
    body: dict[str, Any], spec: dict[str, str], loc: tuple[str, ...] = ("body",)
) -> None:
    """Optional fields: null is always accepted; a present value must have the right type."""
    for name, kind in spec.items():
        value = body.get(name)
        if value is None:
            continue
        types, err_type, msg = _KINDS[kind]
        # bool is an int subclass in Python but not a number/int for pydantic's JSON mode.
        if not isinstance(value, types) or (kind in {"number", "int"} and isinstance(value, bool)):
            raise validation_error(err_type, [*loc, name], msg)


def require(body: dict[str, Any], name: str, loc: tuple[str, ...] = ("body",)) -> Any:
    if name not in body:
        raise validation_error("missing", [*loc, name], "Field required")
    return body[name]


def query_int(
    query: dict[str, str], name: str, default: int, ge: int | None = None, le: int | None = None
) -> int:
    """FastAPI `Query(ge=, le=)` semantics, including its exact 422 messages."""
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError:
        raise validation_error(
            "int_parsing", ["query", name],
            "Input should be a valid integer, unable to parse string as an integer",
        ) from None
    if ge is not None and value < ge:
        raise validation_error(
            "greater_than_equal", ["query", name], f"Input should be greater than or equal to {ge}"
        )
    if le is not None and value > le:
        raise validation_error(
            "less_than_equal", ["query", name], f"Input should be less than or equal to {le}"
        )
    return value


def query_bool(query: dict[str, str], name: str, default: bool) -> bool:
    if name not in query:
        return default
    value = parse_bool(query[name])
    if value is None:
        raise validation_error(
            "bool_parsing", ["query", name],
            "Input should be a valid boolean, unable to interpret input",
        )
    return value
