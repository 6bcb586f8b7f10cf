"""The one place that speaks HTTP: a small client for the LiteLLM admin API.

Tests plug an httpx.MockTransport (or a real sandbox on 127.0.0.1) into `transport`. Low-level
httpx errors are translated here, once, into the tree in reconciler.core.errors; raw keys never
appear in an exception (request bodies are not echoed, response text is scrubbed).
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from reconciler.core.address import redact_url
from reconciler.core.errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayHTTPError,
    GatewayTimeout,
    GatewayUnreachable,
    NotFound,
)
from reconciler.gateway.answers import hint_for, non_json_summary, not_json_error

PAGE_SIZE = 100  # /key/list refuses more than 100 per page
SPEND_LOG_PAGE = 1000  # /spend/logs/v2 refuses more than 1000 per page


class GatewayClient:
    def __init__(
        self,
        base_url: str,
        admin_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.request_count = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {admin_key}"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reads -------------------------------------------------------------------------------
    def list_keys(self) -> list[dict[str, Any]]:
        """Every live key as a full object, all pages, checked against total_count."""
        rows: list[dict[str, Any]] = []
        page, pages, total = 1, 1, 0
        while page <= pages:
            body = self._call(
                "GET",
                "/key/list",
                params={"return_full_object": "true", "size": PAGE_SIZE, "page": page},
            )
            rows.extend(k for k in body.get("keys", []) if isinstance(k, dict))
            total = int(body.get("total_count") or 0)
            pages = max(int(body.get("total_pages") or 0), math.ceil(total / PAGE_SIZE))
            page += 1
        # Offset paging over a list that changes while read can skip or repeat rows.
        unique = {r["token"]: r for r in rows}
        if len(unique) != total:
            raise GatewayError(
                f"/key/list changed while it was read ({len(unique)} keys seen, "
                f"total_count {total}); run again"
            )
        return list(unique.values())

    def list_models(self) -> list[dict[str, Any]]:
        body = self._call("GET", "/model/info")
        return [m for m in body.get("data", []) if isinstance(m, dict)]

    def find_keys_by_alias(self, alias: str) -> list[dict[str, Any]]:
        body = self._call(
            "GET",
            "/key/list",
            params={"return_full_object": "true", "key_alias": alias, "size": PAGE_SIZE},
        )
        return [k for k in body.get("keys", []) if isinstance(k, dict)]

    def router_settings(self) -> dict[str, Any]:
        """The live router's settings (fallbacks included), as the proxy reports them."""
        body = self._call("GET", "/get/config/callbacks")
        return dict(body.get("router_settings") or {})

    def update_router_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/config/update", json={"router_settings": settings}))

    def readiness(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health/readiness"))

    # -- key writes --------------------------------------------------------------------------
    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/key/generate", json=body))

    def update_key(self, token: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/key/update", json={"key": token, **fields}))

    def block_key(self, token: str) -> dict[str, Any]:
        return dict(self._call("POST", "/key/block", json={"key": token}))

    def unblock_key(self, token: str) -> dict[str, Any]:
        return dict(self._call("POST", "/key/unblock", json={"key": token}))

    def delete_key(self, token: str) -> dict[str, Any]:
        return dict(self._call("POST", "/key/delete", json={"keys": [token]}))

    # -- model writes ------------------------------------------------------------------------
    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/model/new", json=body))

    def update_model(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("PATCH", f"/model/{model_id}/update", json=body))

    def delete_model(self, model_id: str) -> dict[str, Any]:
        return dict(self._call("POST", "/model/delete", json={"id": model_id}))

    # -- the seam ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        self.request_count += 1
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise GatewayTimeout(
                f"{method} {path}: the gateway at {redact_url(self.base_url)} "
                "did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            raise GatewayUnreachable(
                f"cannot reach the gateway at {redact_url(self.base_url)} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise not_json_error(method, path, response, self.base_url) from None
        raise _http_error(method, path, response)

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
            data = [r for r in body.get("data", []) if isinstance(r, dict)]
            rows.extend(data)
            # total_pages stops at the proxy's count cap (10,000 rows); a full page means more.
            if len(data) < SPEND_LOG_PAGE or (
                page >= int(body.get("total_pages") or 0) and not body.get("total_is_capped")
            ):
                return rows
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


def _http_error(method: str, path: str, response: httpx.Response) -> GatewayHTTPError:
    status = response.status_code
    message = error_message(response)
    cls = GatewayHTTPError
    if status in (401, 403):
        cls = AuthenticationFailed
    elif status == 404:
        cls = NotFound
    message += hint_for(status, message)
    return cls(status=status, method=method, path=path, message=message)


def error_message(response: httpx.Response) -> str:
    """The human message from any of LiteLLM's three error shapes (or the raw text)."""
    try:
        body = response.json()
    except ValueError:
        return non_json_summary(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or body["error"])  # shape A
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # shape C: request validation
        return "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" for d in detail
        )
    if isinstance(detail, dict):  # shape B with an object
        return str(detail.get("error") or detail)
    if detail is not None:  # shape B with a string
        return str(detail)
    return str(body)[:300]
