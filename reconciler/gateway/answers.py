"""Answers that are not what a LiteLLM proxy sends, turned into one line with a hint.

A wrong LITELLM_BASE_URL usually reaches some other web server (a login page, a reverse
proxy's error page, the UI): its HTML must not be dumped over the terminal.
"""

from __future__ import annotations

import httpx

from reconciler.core.address import redact_url
from reconciler.core.errors import GatewayError

ROOT_HINT = "is LITELLM_BASE_URL the proxy's root address (without /v1 or another path)?"
# FastAPI's answer for a route that does not exist; LiteLLM's own 404s say what is missing.
_UNKNOWN_ROUTE = "Not Found"
_VIEWER_ROLE = "proxy_admin_viewer"


def content_type(response: httpx.Response) -> str:
    value = response.headers.get("content-type", "")
    return value.split(";")[0].strip() or "no content type"


def non_json_summary(response: httpx.Response) -> str:
    """A non-JSON error body as one short line; markup is named, never shown."""
    kind = content_type(response)
    text = response.text.strip()
    if not text:
        return f"{response.reason_phrase or 'empty answer'} ({kind}, empty body)"
    if "html" in kind or text.startswith("<"):
        return f"a {kind} page, not a LiteLLM JSON answer: {ROOT_HINT}"
    first = " ".join(text.split())
    return first[:200] + ("..." if len(first) > 200 else "")


def not_json_error(method: str, path: str, response: httpx.Response, base_url: str) -> GatewayError:
    """A 2xx answer that is not JSON: this is not the LiteLLM admin API."""
    return GatewayError(
        f"{method} {path} answered {response.status_code} with {content_type(response)}, "
        f"not JSON: is {redact_url(base_url)} a LiteLLM proxy? {ROOT_HINT}"
    )


# How the open-source proxy refuses what needs a licence (organizations, key tags, team
# admins, /key/regenerate...): recorded in tests/recorded/teams/.
_ENTERPRISE = ("LiteLLM Enterprise", "premium feature")


def needs_licence(message: str) -> bool:
    return any(words in message for words in _ENTERPRISE)


def enterprise_line(message: str) -> str:
    """The proxy's licence paragraph (trial links, pricing) cut to what was refused."""
    first = message.split(". You must be a LiteLLM Enterprise user")[0].removeprefix("{'error': '")
    return first.rstrip(". ") + ": a LiteLLM Enterprise feature (this proxy has no licence)"


def hint_for(status: int, message: str) -> str:
    """What to check, appended to a gateway error's message (empty when nothing helps)."""
    if needs_licence(message):
        return ""  # the key is fine: the proxy lacks a licence (enterprise_line says so)
    if status in (401, 403):
        if _VIEWER_ROLE in message:
            return (
                " (this is a read-only proxy_admin_viewer key: it can plan, not apply; "
                "apply needs the master key or a proxy_admin key)"
            )
        return (
            " (check LITELLM_ADMIN_KEY or LITELLM_API_KEY: it must be the proxy's master key "
            "or an admin key)"
        )
    if status == 404 and message.strip() == _UNKNOWN_ROUTE:
        return f" (no such route: {ROOT_HINT})"
    return ""
