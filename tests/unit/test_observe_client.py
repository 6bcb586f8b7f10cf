"""The observing reads through httpx.MockTransport: spend-log paging, and bad input that stops
`usage`/`health` before any gateway call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.commands.cli import main
from reconciler.gateway.client import SPEND_LOG_PAGE, GatewayClient
from tests.unit.builders import FIXTURES


def client_for(pages: list[dict[str, Any]], seen: list[httpx.Request]) -> GatewayClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params["page"])
        return httpx.Response(200, json=pages[page - 1] if page <= len(pages) else {"data": []})

    return GatewayClient("http://fake", "sk-admin-0000000000",
                         transport=httpx.MockTransport(handle))


def page(rows: int, *, total: int, pages: int, capped: bool = False) -> dict[str, Any]:
    return {"data": [{"request_id": str(i)} for i in range(rows)], "total": total,
            "page_size": SPEND_LOG_PAGE, "total_pages": pages, "total_is_capped": capped}


def test_spend_logs_read_in_pages_of_1000_in_ascending_order() -> None:
    seen: list[httpx.Request] = []
    with client_for([page(1000, total=1500, pages=2), page(500, total=1500, pages=2)],
                    seen) as client:
        rows = client.spend_logs("2026-11-01 00:00:00", "2026-12-01 00:00:00")
    assert len(rows) == 1500 and len(seen) == 2
    params = seen[0].url.params
    assert (params["page_size"], params["sort_order"], params["start_date"]) == (
        "1000", "asc", "2026-11-01 00:00:00")


def test_spend_logs_past_the_proxys_count_cap() -> None:
    """The proxy stops counting at 10,000 rows: total_pages lies, full pages mean more."""
    seen: list[httpx.Request] = []
    full = page(1000, total=10_000, pages=10, capped=True)
    with client_for([full] * 11 + [page(3, total=10_000, pages=10, capped=True)],
                    seen) as client:
        rows = client.spend_logs("2026-11-01 00:00:00", "2026-12-01 00:00:00")
    assert len(rows) == 11_003 and len(seen) == 12


def test_an_exact_last_page_costs_no_extra_request() -> None:
    seen: list[httpx.Request] = []
    with client_for([page(1000, total=1000, pages=1)], seen) as client:
        assert len(client.spend_logs("a", "b")) == 1000
    assert len(seen) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2026-13"], "--month wants YYYY-MM, not '2026-13'"),
    (["--month", "2026-10", "--since", "2026-10-02"], "--month gives the whole period"),
    (["--since", "2026-11-02", "--until", "2026-11-01"], "must be before --until"),
    (["--since", "yesterday"], "--since wants YYYY-MM-DD"),
])
def test_bad_periods_exit_1_before_any_gateway_call(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The address points nowhere: reaching it would be a different error.
    code = main(["usage", "--desired", str(FIXTURES / "valid-estate"), "--base-url",
                 "http://127.0.0.1:9", "--admin-key", "sk-x", *args])
    assert code == 1
    assert message in capsys.readouterr().err


def test_a_corrupt_baseline_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "base.json"
    bad.write_text("{not json")
    code = main(["usage", "--desired", str(FIXTURES / "valid-estate"), "--base-url",
                 "http://127.0.0.1:9", "--admin-key", "sk-x", "--baseline", str(bad)])
    assert code == 1 and f"cannot read baseline {bad}" in capsys.readouterr().err


def test_health_rejects_a_bad_window(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["health", "--desired", str(FIXTURES / "valid-estate"), "--window", "1 hour",
                 "--base-url", "http://127.0.0.1:9", "--admin-key", "sk-x"])
    assert code == 1 and "--window wants a duration" in capsys.readouterr().err
