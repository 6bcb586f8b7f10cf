"""Suite-wide: under pytest-xdist (scripts/test.sh runs `-n auto --dist loadgroup`), every test
that talks to the real LiteLLM proxy runs on one worker, one after another, as without xdist.
That proxy is one shared gateway with one lease: two applies on it at once would wait on each
other, or trip tests that assert who holds it. The replicated fleet of tests/e2e/test_topology.py
is one shared gateway too. Everything else (unit tests, one sandbox per test) spreads over the
other workers.

The grouping is a scheduler of our own, not `xdist_group` marks: pytest 9.2's structured node
ids no longer carry the `@group` suffix xdist 3.8 writes for those marks, so the marks are
silently ignored there (pytest-xdist issue 1386). A scheduler sees the plain node ids, which
name the `real` parameter, and does not depend on that suffix."""

from __future__ import annotations

from typing import Any

import pytest

REAL_GROUP = "real-gateway"
FLEET_GROUP = "replicated-fleet"


def shared_gateway_group(nodeid: str) -> str | None:
    """The group a test belongs to when it uses a gateway shared by the whole run, else None."""
    if "/test_topology.py::" in nodeid:
        return FLEET_GROUP
    start = nodeid.rfind("[")
    if start == -1 or not nodeid.endswith("]"):
        return None
    return REAL_GROUP if "real" in nodeid[start + 1 : -1].split("-") else None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") not in ("load", "loadgroup", "loadscope"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedGatewaysTogether(LoadScopeScheduling):
        # The largest unit goes out first (loadscope's reordering): the real tier, the longest.
        def _split_scope(self, nodeid: str) -> str:
            return shared_gateway_group(nodeid) or nodeid

    return SharedGatewaysTogether(config, log)
