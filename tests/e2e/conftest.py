"""Fixtures for the end-to-end suite: one `gateway` fixture, two gateways.

`gateway` is parametrised over the bundled sandbox and a real LiteLLM proxy. The real tier
runs where RECONCILER_REAL_GATEWAY_URL and RECONCILER_REAL_GATEWAY_KEY point at one (.ci/run
starts it); elsewhere it is skipped, and the run's summary says so in a visible line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.e2e.gateways import REAL_SKIP_REASON, Gateway, real_gateway_env
from tests.e2e.harness import standard_estate, write_desired


@pytest.fixture(params=["sandbox", "real"])
def gateway(request: pytest.FixtureRequest) -> Iterator[Gateway]:
    if request.param == "sandbox":
        with SandboxGateway(seed=False) as sandbox:
            yield from _namespaced(Gateway("sandbox", sandbox.base_url, DEFAULT_MASTER_KEY))
        return
    real = real_gateway_env()
    if real is None:
        pytest.skip(REAL_SKIP_REASON)
    yield from _namespaced(Gateway("real", *real))


def _namespaced(gw: Gateway) -> Iterator[Gateway]:
    gw.seed()
    try:
        watched = {alias: gw.live_keys()[alias]["token"]
                   for alias in (gw.pinned_alias, gw.unmanaged_alias)}
        before = {alias: gw.key_info(token) for alias, token in watched.items()}
        yield gw
        # After every scenario, whatever it did: the pinned key and the key this tool did not
        # create are exactly as they were.
        after = {alias: gw.key_info(token) for alias, token in watched.items()}
        assert after == before, "a pinned or unmanaged key changed"
    finally:
        gw.cleanup()


@pytest.fixture
def desired(gateway: Gateway, tmp_path: Path) -> Path:
    return write_desired(tmp_path / "desired", standard_estate(gateway))


_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for kind in ("sandbox", "real"):
        if f"[{kind}" in report.nodeid and (report.when == "call" or report.skipped):
            _outcomes[(kind, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _outcomes:
        return
    terminalreporter.write_sep("-", "end-to-end tests by gateway")
    for kind, label in (("sandbox", "sandbox gateway"), ("real", "real LiteLLM proxy")):
        counts = {o: _outcomes[(kind, o)] for o in ("passed", "failed", "skipped")}
        terminalreporter.write_line(
            f"{label}: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped"
        )
    if _outcomes[("real", "skipped")] and not _outcomes[("real", "passed")]:
        terminalreporter.write_line(REAL_SKIP_REASON)
