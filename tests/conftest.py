"""Suite-wide: under pytest-xdist (scripts/test.sh runs `-n auto --dist loadgroup`), every test
that talks to the real LiteLLM proxy runs on one worker, one after another, as without xdist.
That proxy is one shared gateway with one lease: two applies on it at once would wait on each
other, or trip tests that assert who holds it. Everything else (unit tests, one sandbox per
test) spreads over the other workers."""

from __future__ import annotations

import pytest

REAL_GROUP = "real-gateway"


def _uses_real_gateway(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("gateway") == "real":
        return True
    return item.get_closest_marker("real_gateway") is not None or "[real" in item.nodeid


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_real_gateway(item):
            item.add_marker(pytest.mark.xdist_group(REAL_GROUP))
