"""Issue case 4, end to end on both gateways: answers without bounds (a page count of 10^10,
a body past the size limit, a body that never ends) stop a plan at once with one line, exit
1, and the pinned and unmanaged keys stay byte-identical. A hostile front proxy on 127.0.0.1
plays the answers in front of the sandbox and of the real proxy alike."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli


def _many_pages(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "total_count": 10**12, "total_pages": 10**10}


CASES = {
    "total_count of 10^12": ({"edit": _many_pages}, "/key/list answered total_count"),
    "a 70 MB answer": ({"pad": 70 * 1024 * 1024}, "/key/list"),
    "an endless answer": ({"endless": True, "seconds": 90}, "/key/list"),
}


def _untouched(gw: Gateway) -> dict[str, Any]:
    keys = gw.live_keys()
    return {alias: keys[alias] for alias in (gw.pinned_alias, gw.unmanaged_alias)}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_answer_without_bounds_stops_the_plan_with_one_line(
    gateway: Gateway, desired: Path, tmp_path: Path, case: tuple[dict[str, Any], str]
) -> None:
    how, named = case
    before = _untouched(gateway)
    with FaultyProxy(gateway.base_url) as proxy:
        proxy.rewrite("/key/list", **how)
        start = time.monotonic()
        result = run_cli(gateway, tmp_path, "plan", "--desired", "desired",
                         base_url=proxy.base_url)
        elapsed = time.monotonic() - start
    assert result.code == 1, result.both
    assert result.err.count("\n") == 1 and result.err.startswith("error: "), result.err
    assert named in result.err and "Traceback" not in result.both
    assert elapsed < 30, elapsed
    assert _untouched(gateway) == before
