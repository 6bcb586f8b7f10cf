"""The one place that speaks HTTP: the seam every gateway module's calls go through.

Tests plug an httpx.MockTransport (or a real sandbox on 127.0.0.1) into `transport`. Low-level
httpx errors are translated here, once, into the tree in reconciler.core.errors; raw keys never
appear in an exception (request bodies are not echoed, response text is scrubbed).
"""

from __future__ import annotations

import os
import ssl
import threading
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

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
from reconciler.gateway.answers import (
    enterprise_line,
    hint_for,
    needs_licence,
    non_json_summary,
    not_json_error,
)
from reconciler.gateway.bounded import read_bounded
from reconciler.gateway.parallel import DEFAULT_PARALLELISM, Pool
from reconciler.gateway.retry import RetryPolicy

_Client = TypeVar("_Client", bound="BaseClient")


class BaseClient:
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

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.pool.close()
        self._http.close()

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
            hint = _lasting(exc)
            raise GatewayUnreachable(
                f"cannot reach the gateway at {redact_url(self.base_url)} "
                f"({type(exc).__name__}: {exc}){hint or ''}",
                lasting=hint is not None,
            ) from None
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise not_json_error(method, path, response, self.base_url) from None
        raise _http_error(method, path, response)

# getaddrinfo's answers for a name that does not exist (not EAI_AGAIN, "Temporary failure in
# name resolution", which a retry may get past).
_NO_SUCH_NAME = ("Name or service not known", "nodename nor servname", "No address associated",
                 "getaddrinfo failed")


def _lasting(exc: httpx.TransportError) -> str | None:
    """A hint when retrying cannot help (the failure will be the same each time), else None."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "; the certificate is not trusted: check the address (or the CA bundle)"
        if isinstance(cause, ssl.SSLError):
            return "; TLS failed: the port may speak plain HTTP (try http://)"
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if any(marker in text for marker in _NO_SUCH_NAME):
        return "; the host name does not resolve: check the address (LITELLM_BASE_URL)"
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        return "; TLS failed: the port may speak plain HTTP (try http://)"
    return None


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
    if needs_licence(message):
        message = enterprise_line(message)
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
