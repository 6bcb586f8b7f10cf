"""Reading an answer within a size: an endless or huge body stops with one line, unread.

A page of 100 full key rows is about 300 KB and /model/info for thousands of deployments a
few MB; 64 MiB is far past any real answer and far below what would exhaust memory.
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.core.errors import GatewayError

MAX_BODY_BYTES = 64 * 1024 * 1024


def read_bounded(http: httpx.Client, request: httpx.Request, path: str,
                 where: str) -> httpx.Response:
    """The answer to `request`, read up to MAX_BODY_BYTES (declared or streamed)."""
    response = http.send(request, stream=True)
    try:
        if whole(_digits(response.headers.get("content-length")), 0) > MAX_BODY_BYTES:
            raise _too_big(request.method, path, where)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_big(request.method, path, where)
            chunks.append(chunk)
    finally:
        response.close()
    # iter_bytes already undid any content-encoding: the copy must not claim one.
    headers = [(k, v) for k, v in response.headers.items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks),
                          request=request)


def whole(value: Any, default: int) -> int:
    """An integer count from an answer, or `default` when it is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _digits(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _too_big(method: str, path: str, where: str) -> GatewayError:
    return GatewayError(f"{method} {path}: the gateway at {where} answered more than "
                        f"{MAX_BODY_BYTES // 1024 // 1024} MiB; stopped reading")
