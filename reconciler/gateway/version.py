"""Which LiteLLM the gateway runs, and whether this tool was tested against it.

The proxy states its version in /health/readiness only with
`allow_public_health_readiness_details`; its OpenAPI document always carries it
(`info.version`, ~2 MB, read once and only by the commands that say so).
"""

from __future__ import annotations

import re

from reconciler.core.errors import GatewayError
from reconciler.gateway.transport import BaseClient

# The range the real tier runs on (README: Compatibility), oldest and newest, both included.
OLDEST_TESTED = "1.106.12"
NEWEST_TESTED = "1.108.7"
# Releases known to be compromised on PyPI: never to be run, whatever the range says.
COMPROMISED = frozenset({"1.107.0", "1.82.7", "1.82.8"})


def parse_version(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:[.\-+]?\w*)?", text.strip())
    return tuple(int(p) for p in match.groups()) if match else None


def proxy_version(client: BaseClient, readiness: dict[str, object] | None = None) -> str | None:
    """The proxy's version, or None when it does not say."""
    found = (readiness or {}).get("litellm_version")
    if isinstance(found, str) and parse_version(found):
        return found
    try:
        body = client._read("GET", "/openapi.json")
    except GatewayError:
        return None
    info = body.get("info") if isinstance(body, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return version if isinstance(version, str) and parse_version(version) else None


def version_warning(version: str | None) -> str | None:
    """A warning for a version outside the tested range (or a compromised one)."""
    if version is None:
        return None
    if version.strip().lstrip("v") in COMPROMISED:
        return (f"the gateway runs LiteLLM {version}, a release known to be compromised on "
                "PyPI: replace it now")
    parsed = parse_version(version)
    oldest, newest = parse_version(OLDEST_TESTED), parse_version(NEWEST_TESTED)
    assert oldest is not None and newest is not None
    if parsed is not None and oldest <= parsed <= newest:
        return None
    return (f"the gateway runs LiteLLM {version}; this version of reconciler is tested on "
            f"{OLDEST_TESTED} to {NEWEST_TESTED} (README: Compatibility)")
