"""The one place that speaks HTTP: a small client for the LiteLLM admin API.

Tests plug an httpx.MockTransport (or a real sandbox on 127.0.0.1) into `transport`. Low-level
httpx errors are translated here, once, into the tree in reconciler.core.errors; raw keys never
appear in an exception (request bodies are not echoed, response text is scrubbed).
"""

from __future__ import annotations

import hashlib
import math
import os
import ssl
import threading
from collections.abc import Collection
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
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
from reconciler.core.ownership import admin_identities
from reconciler.gateway.answers import hint_for, non_json_summary, not_json_error
from reconciler.gateway.bounded import read_bounded
from reconciler.gateway.bounded import whole as _whole
from reconciler.gateway.parallel import DEFAULT_PARALLELISM, Pool
from reconciler.gateway.retry import RetryPolicy

PAGE_SIZE = 100  # /key/list refuses more than 100 per page
LIST_ATTEMPTS = 3  # reads of a key list that keeps changing underneath before giving up
SPEND_LOG_PAGE = 1000  # /spend/logs/v2 refuses more than 1000 per page
# Rows per list (body size: bounded.py): far past any real estate (10,000 keys plan in 102
# requests), far below what would exhaust memory or time. Past one the read stops, one line.
MAX_KEY_ROWS = 200_000
MAX_LOG_ROWS = 2_000_000
USER_PAGE = 100
MAX_USER_PAGES = 100  # 10,000 proxy admins: far past any real gateway


class GatewayClient:
    """Reads are retried freely; writes are retried only where a retry cannot do the thing
    twice: idempotent ones as they are, creates and deletes after looking the object up."""

    def __init__(
        self,
        base_url: str,
        admin_key: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.request_count = 0
        self.retry = retry or RetryPolicy()
        self.pool = Pool(parallelism)
        self._count_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {admin_key}"},
            timeout=timeout,
            transport=transport,
            verify=_tls_context(self.base_url),
            # One connection per call in flight, so parallel calls do not queue for a socket.
            limits=httpx.Limits(max_connections=max(10, parallelism + 2)),
        )

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.close()
        self._http.close()

    # -- reads -------------------------------------------------------------------------------
    def list_keys(self, fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every live key as a full object: page 1 says how many pages; the rest are read
        `parallelism` at a time. A list that changed while read is read again (twice).
        With `fields`, each row keeps only those (and its token) as soon as its page is in:
        a full row is ~60 fields, and 10,000 of them would dominate a plan's memory."""
        for attempt in range(LIST_ATTEMPTS):
            try:
                return self._list_keys_once(fields)
            except ListChangedError:
                if attempt == LIST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _list_keys_once(self, fields: Collection[str] | None) -> list[dict[str, Any]]:
        keep = None if fields is None else {"token", *fields}

        def page_rows(page: int) -> tuple[int, list[dict[str, Any]]]:
            body = self._key_page(page)
            found = body.get("keys")
            rows = [k for k in found if isinstance(k, dict)] if isinstance(found, list) else []
            if keep is not None:
                rows = [{f: row.get(f) for f in keep} for row in rows]
            return _whole(body.get("total_count"), -1), rows

        total, first = page_rows(1)
        if not 0 <= total <= MAX_KEY_ROWS or len(first) > PAGE_SIZE:
            raise GatewayError(
                f"/key/list answered total_count {str(total)[:20]} with {len(first)} rows on "
                f"a page; the tool reads 0 to {MAX_KEY_ROWS:,} keys, {PAGE_SIZE} a page: is "
                f"{redact_url(self.base_url)} a LiteLLM proxy?")
        pages = math.ceil(total / PAGE_SIZE)
        rows = first + [r for _, more in self.pool.map(page_rows, range(2, pages + 1))
                        for r in more]
        # Offset paging over a list that changes while read can skip or repeat rows.
        unique = {r["token"]: r for r in rows}
        if len(unique) != total:
            raise ListChangedError(
                f"/key/list changed while it was read ({len(unique)} keys seen, "
                f"total_count {total}); run again"
            )
        return list(unique.values())

    def _key_page(self, page: int) -> dict[str, Any]:
        params = {"return_full_object": "true", "size": PAGE_SIZE, "page": page}
        return dict(self._read("GET", "/key/list", params=params))

    def list_models(self) -> list[dict[str, Any]]:
        body = self._read("GET", "/model/info")
        return [m for m in body.get("data", []) if isinstance(m, dict)]

    def admin_identities(self) -> frozenset[str]:
        """Who may write the tool's objects: the master key's identity and every proxy
        admin's user id. A gateway that will not list users leaves the master key alone:
        fewer objects trusted, never more."""
        users: list[dict[str, Any]] = []
        try:
            for page in range(1, MAX_USER_PAGES + 1):
                body = self._read("GET", "/user/list", params={
                    "role": "proxy_admin", "page": page, "page_size": USER_PAGE})
                found = body.get("users") if isinstance(body, dict) else None
                users.extend(u for u in found or [] if isinstance(u, dict))
                if page >= _whole(body.get("total_pages"), 0) or not found:
                    break
        except (NotFound, AuthenticationFailed):
            pass
        return admin_identities(users)

    def find_keys_by_alias(self, alias: str, *, substring: bool = False) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "return_full_object": "true", "key_alias": alias, "size": PAGE_SIZE
        }
        if substring:
            params["substring_matching"] = "true"  # case-insensitive "contains"
        body = self._read("GET", "/key/list", params=params)
        return [k for k in body.get("keys", []) if isinstance(k, dict)]

    def key_by_token(self, token: str) -> dict[str, Any] | None:
        """The live key with this sha256, or None (never created, or deleted)."""
        try:
            body = self._read("GET", "/key/info", params={"key": token})
        except NotFound:
            return None
        info = dict(body.get("info") or {})
        # A deleted key still answers, from the archive, with status "deleted".
        return None if info.get("status") == "deleted" else {**info, "token": token}

    def model_by_id(self, model_id: str) -> dict[str, Any] | None:
        try:
            body = self._read("GET", "/model/info", params={"litellm_model_id": model_id})
        except GatewayHTTPError as exc:
            if exc.status in (400, 404) and "not found" in exc.detail.lower():
                return None
            raise
        found = body.get("data") if isinstance(body, dict) else None
        rows = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
        return rows[0] if rows else None

    def router_settings(self) -> dict[str, Any]:
        """The live router's settings (fallbacks included), as the proxy reports them."""
        body = self._read("GET", "/get/config/callbacks")
        return dict(body.get("router_settings") or {})

    def update_router_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/config/update", json={"router_settings": settings}))

    def readiness(self, *, retry: bool = False) -> dict[str, Any]:
        """A probe (health) asks once: "not ready now" is its answer. Before a write (apply)
        a 429/503/529 is retried like every other call: one busy moment is not an outage."""
        if retry:
            return dict(self._read("GET", "/health/readiness"))
        return dict(self._call("GET", "/health/readiness"))

    # -- key writes --------------------------------------------------------------------------
    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a key whose raw value the caller chose (body["key"]). After an unclear
        outcome the key is looked up by its sha256 before the create is sent again."""
        raw = str(body["key"])
        token = hashlib.sha256(raw.encode()).hexdigest()

        def created() -> dict[str, Any] | None:
            return {"key": raw, "token": token} if self.key_by_token(token) else None

        return dict(
            self.retry.call(lambda: self._call("POST", "/key/generate", json=body), verify=created)
        )

    def update_key(self, token: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/key/update", json={"key": token, **fields}))

    def block_key(self, token: str) -> dict[str, Any]:
        return dict(self._read("POST", "/key/block", json={"key": token}))

    def unblock_key(self, token: str) -> dict[str, Any]:
        return dict(self._read("POST", "/key/unblock", json={"key": token}))

    def delete_key(self, token: str) -> dict[str, Any]:
        def gone() -> dict[str, Any] | None:
            return None if self.key_by_token(token) else {"deleted_keys": [token]}

        return dict(
            self.retry.call(
                lambda: self._call("POST", "/key/delete", json={"keys": [token]}), verify=gone
            )
        )

    # -- model writes ------------------------------------------------------------------------
    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        model_id = str((body.get("model_info") or {}).get("id") or "")

        def created() -> dict[str, Any] | None:
            return self.model_by_id(model_id) if model_id else None

        return dict(
            self.retry.call(lambda: self._call("POST", "/model/new", json=body), verify=created)
        )

    def update_model(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("PATCH", f"/model/{model_id}/update", json=body))

    def delete_model(self, model_id: str) -> dict[str, Any]:
        def gone() -> dict[str, Any] | None:
            return None if self.model_by_id(model_id) else {"deleted": model_id}

        return dict(
            self.retry.call(
                lambda: self._call("POST", "/model/delete", json={"id": model_id}), verify=gone
            )
        )

    # -- the seam ----------------------------------------------------------------------------
    def _read(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call that is safe to repeat as it is: reads and idempotent writes."""
        return self.retry.call(lambda: self._call(method, path, **kwargs))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        with self._count_lock:
            self.request_count += 1
        try:
            request = self._http.build_request(method, path, **kwargs)
            response = read_bounded(self._http, request, path, redact_url(self.base_url))
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
            found = body.get("data") if isinstance(body, dict) else None
            data = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
            rows.extend(data)
            # total_pages stops at the proxy's count cap (10,000 rows); a full page means more.
            if len(data) < SPEND_LOG_PAGE or (
                page >= _whole(body.get("total_pages"), 0) and not body.get("total_is_capped")
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


class ListChangedError(GatewayError):
    pass


_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _tls_context(base_url: str) -> ssl.SSLContext | bool:
    """True (httpx loads the CA bundle: 20-40 ms) unless nothing this client sends can use
    TLS: an http:// gateway reached directly or through an http:// proxy. Then a context
    with no CA at all, which still requires a verified certificate: it would fail, never
    trust, should TLS ever be spoken."""
    plain = base_url.lower().startswith("http://") and not any(
        os.environ.get(name, "").lower().startswith("https:") for name in _PROXY_VARIABLES)
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if plain else True


def _http_error(method: str, path: str, response: httpx.Response) -> GatewayHTTPError:
    status = response.status_code
    # One line, of a readable length, whatever the body held (it goes to a terminal or a log).
    message = " ".join(error_message(response).split())
    message = message if len(message) <= 500 else message[:500] + "..."
    cls = GatewayHTTPError
    if status in (401, 403):
        cls = AuthenticationFailed
    elif status == 404:
        cls = NotFound
    message += hint_for(status, message)
    return cls(
        status=status,
        method=method,
        path=path,
        message=message,
        retry_after=retry_after(response.headers.get("Retry-After")),
    )


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


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

