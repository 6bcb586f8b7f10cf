"""The three error body shapes the real LiteLLM proxy emits (see LITELLM_ADMIN_API.md §1.3).

Clients must cope with all three, so the sandbox reproduces each one exactly rather than
normalising them.
"""

from __future__ import annotations

from typing import Any

JSON = Any


class ApiError(Exception):
    """Raised by endpoint logic; the HTTP layer turns it into `status` + `body`."""

    def __init__(self, status: int, body: JSON) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def proxy_error(status: int, message: str, err_type: str, param: str | None) -> ApiError:
    """Format (A): ProxyException envelope. `code` is the status as a *string* on purpose."""
    body = {"error": {"message": message, "type": err_type, "param": param, "code": str(status)}}
    return ApiError(status, body)


def auth_wrapped(status: int, message: str) -> ApiError:
    """Format (A) as produced by the auth layer and the /key/update-style inline wrappers."""
    return proxy_error(status, message, "auth_error", "None")


def internal_wrapped(status: int, detail: JSON) -> ApiError:
    """Format (A) via `handle_exception_on_proxy`: dict details become their Python repr."""
    message = detail if isinstance(detail, str) else repr(detail)
    return proxy_error(status, message, "internal_server_error", None)


def detail_error(status: int, detail: JSON) -> ApiError:
    """Format (B): an unwrapped FastAPI HTTPException."""
    return ApiError(status, {"detail": detail})


def validation_error(err_type: str, loc: list[str | int], msg: str) -> ApiError:
    """Format (C): FastAPI request validation, with `input`/`ctx` stripped like LiteLLM does."""
    return ApiError(422, {"detail": [{"type": err_type, "loc": loc, "msg": msg}]})


def generic_500() -> ApiError:
    """LiteLLM's catch-all for unhandled crashes: note there is no `param` and no `code`."""
    body = {"error": {"message": "Internal server error", "type": "internal_server_error"}}
    return ApiError(500, body)


def not_found() -> ApiError:
    return detail_error(404, "Not Found")


def method_not_allowed() -> ApiError:
    return detail_error(405, "Method Not Allowed")
