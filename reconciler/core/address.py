"""The gateway's address as a user types it, made into the one the admin API lives at.

LiteLLM's own clients are configured with the OpenAI-style `.../v1` address, so users paste
it here too; the admin routes (/key/list, /model/info) live at the root, where `/v1/key/list`
answers a bare 404. The suffix is dropped with a note instead of failing later.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_OPENAI_SUFFIX = re.compile(r"/v1/*$")


def normalize_base_url(url: str) -> tuple[str, str | None]:
    """(the admin API root, a note for the user when the address was changed)."""
    stripped = url.strip().rstrip("/")
    root = _OPENAI_SUFFIX.sub("", stripped)
    if root != stripped:
        return root, (
            f"note: using {redact_url(root)} (the admin API is at the proxy's root, "
            "not under /v1)"
        )
    return stripped, None


def redact_url(url: str) -> str:
    """The address without user:password@, query or fragment: safe for logs and reports."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
