"""The observing reads: spend, spend logs, health (the usage and health commands)."""

from __future__ import annotations

from typing import Any

from reconciler.core.errors import GatewayError
from reconciler.gateway.bounded import whole
from reconciler.gateway.transport import BaseClient

SPEND_LOG_PAGE = 1000  # /spend/logs/v2 refuses more than 1000 per page
MAX_LOG_ROWS = 2_000_000


class ObserveCalls(BaseClient):
    def readiness(self, *, retry: bool = False) -> dict[str, Any]:
        """A probe (health) asks once: "not ready now" is its answer. Before a write (apply)
        a 429/503/529 is retried like every other call: one busy moment is not an outage."""
        if retry:
            return dict(self._read("GET", "/health/readiness"))
        return dict(self._call("GET", "/health/readiness"))


    # -- observing reads: spend, spend logs, health (usage and health commands) --------------
    # Spend figures lag the traffic: the proxy writes spend and spend logs in batches, about
    # 10-15 s after a request. Logs are read in pages of SPEND_LOG_PAGE, never one per key.
    def spend_logs(self, start: str, end: str) -> list[dict[str, Any]]:
        """Every spend log row with start <= startTime <= end ('YYYY-MM-DD HH:MM:SS', UTC)."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._call("GET", "/spend/logs/v2", params={
                "start_date": start, "end_date": end, "page": page,
                "page_size": SPEND_LOG_PAGE, "sort_order": "asc"})
            found = body.get("data") if isinstance(body, dict) else None
            data = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
            rows.extend(data)
            # total_pages stops at the proxy's count cap (10,000 rows); a full page means more.
            if len(data) < SPEND_LOG_PAGE or (
                page >= whole(body.get("total_pages"), 0) and not body.get("total_is_capped")
            ):
                return rows
            if len(rows) >= MAX_LOG_ROWS:
                raise GatewayError(
                    f"/spend/logs/v2 kept answering full pages past {MAX_LOG_ROWS:,} rows; "
                    "narrow the period (--since / --until)")
            page += 1

    def spend_by_day(self, start_date: str, end_date: str) -> list[dict[str, Any]]:
        """The gateway's own sums per day and key ('YYYY-MM-DD', both ends inclusive)."""
        body = self._call("GET", "/spend/logs", params={
            "start_date": start_date, "end_date": end_date})
        return [d for d in body if isinstance(d, dict)] if isinstance(body, list) else []

    def global_spend(self) -> dict[str, Any]:
        return dict(self._call("GET", "/global/spend"))

    def liveliness(self) -> Any:
        return self._call("GET", "/health/liveliness")

    def model_health(self) -> dict[str, Any]:
        """/health sends a real request to every deployment: slow, and it costs money."""
        return dict(self._call("GET", "/health"))
