"""GatewayClient over httpx.MockTransport: paging, error shapes, error classes, no raw keys."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.core.errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayHTTPError,
    GatewayTimeout,
    GatewayUnreachable,
    NotFound,
)
from reconciler.gateway.client import GatewayClient, _tls_context
from reconciler.gateway.retry import NO_RETRY
from tests.unit.builders import key_row

BASE = "http://gateway.test"
ADMIN = "sk-admin-master-key-1234"
ECHOED = "sk-EchoedRawSecret99999"

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> GatewayClient:
    # One try: these tests are about what a single failure looks like (retries: test_retry).
    return GatewayClient(BASE, ADMIN, transport=httpx.MockTransport(handler), retry=NO_RETRY)


def paged_key_list(rows: list[dict[str, Any]], seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        size = int(request.url.params["size"])
        page = int(request.url.params["page"])
        chunk = rows[(page - 1) * size : page * size]
        total_pages = -(-len(rows) // size)
        body = {
            "keys": chunk,
            "total_count": len(rows),
            "current_page": page,
            "total_pages": total_pages,
        }
        return httpx.Response(200, json=body)

    return handler


def test_list_keys_reads_every_page_of_full_objects() -> None:
    rows = [key_row(f"agent-{i}") for i in range(250)]
    seen: list[httpx.Request] = []
    with client(paged_key_list(rows, seen)) as gw:
        keys = gw.list_keys()
    assert [k["key_alias"] for k in keys] == [f"agent-{i}" for i in range(250)]
    assert len(seen) == 3
    assert [dict(r.url.params) for r in seen] == [
        {"return_full_object": "true", "size": "100", "page": str(page)} for page in (1, 2, 3)
    ]
    assert {r.url.path for r in seen} == {"/key/list"}
    assert seen[0].headers["Authorization"] == f"Bearer {ADMIN}"


def test_list_keys_with_no_keys_makes_one_request() -> None:
    seen: list[httpx.Request] = []
    with client(paged_key_list([], seen)) as gw:
        assert gw.list_keys() == []
    assert len(seen) == 1


def test_list_keys_refuses_a_list_that_changed_while_read() -> None:
    rows = [key_row(f"agent-{i}") for i in range(150)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        # page 2 repeats a row of page 1: a key was deleted between the two reads
        chunk = rows[:100] if page == 1 else rows[99:149]
        return httpx.Response(200, json={"keys": chunk, "total_count": 150, "total_pages": 2})

    with client(handler) as gw, pytest.raises(GatewayError) as caught:
        gw.list_keys()
    assert str(caught.value) == (
        "/key/list changed while it was read (149 keys seen, total_count 150); run again"
    )


def _failing(status: int, body: Any) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return handler


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"error": {"message": "Key not found.", "type": "not_found_error", "code": "400"}},
            "Key not found.",
        ),
        ({"detail": "Model with id=x not found in db"}, "Model with id=x not found in db"),
        ({"detail": {"error": "budget_duration is invalid"}}, "budget_duration is invalid"),
        (
            {"detail": [{"loc": ["body", "max_budget"], "msg": "Input should be a number"}]},
            "body.max_budget: Input should be a number",
        ),
        ("Internal Server Error", "Internal Server Error"),
    ],
)
def test_every_error_body_shape_becomes_a_readable_message(body: Any, message: str) -> None:
    with client(_failing(400, body)) as gw, pytest.raises(GatewayHTTPError) as caught:
        gw.block_key("abc123")
    error = caught.value
    assert (error.status, error.method, error.path, error.detail) == (
        400,
        "POST",
        "/key/block",
        message,
    )
    assert str(error) == f"POST /key/block answered 400: {message}"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationFailed),
        (403, AuthenticationFailed),
        (404, NotFound),
        (500, GatewayHTTPError),
    ],
)
def test_status_codes_map_to_error_classes(status: int, cls: type[GatewayHTTPError]) -> None:
    body = {"error": {"message": "nope"}}
    with client(_failing(status, body)) as gw, pytest.raises(GatewayHTTPError) as caught:
        gw.list_models()
    assert type(caught.value) is cls
    assert caught.value.status == status


def test_authentication_failure_says_which_setting_to_check() -> None:
    body = {"error": {"message": "Authentication Error, Invalid API key provided."}}
    with client(_failing(401, body)) as gw, pytest.raises(AuthenticationFailed) as caught:
        gw.list_models()
    assert "check LITELLM_ADMIN_KEY" in str(caught.value)
    assert "Authentication Error, Invalid API key provided." in str(caught.value)


def _raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_connection_error_is_gateway_unreachable() -> None:
    with (
        client(_raising(httpx.ConnectError("Connection refused"))) as gw,
        pytest.raises(GatewayUnreachable) as caught,
    ):
        gw.readiness()
    assert str(caught.value) == (
        f"cannot reach the gateway at {BASE} (ConnectError: Connection refused)"
    )


def test_timeout_is_gateway_timeout() -> None:
    with (
        client(_raising(httpx.ReadTimeout("timed out"))) as gw,
        pytest.raises(GatewayTimeout) as caught,
    ):
        gw.list_models()
    assert str(caught.value) == (f"GET /model/info: the gateway at {BASE} did not answer in time")


def test_success_without_json_is_a_gateway_error() -> None:
    with (
        client(_failing(200, "<html>proxy login</html>")) as gw,
        pytest.raises(
            GatewayError, match=r"GET /model/info answered 200 with .* not JSON"
        ),
    ):
        gw.list_models()


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": f"Key with key={ECHOED} not found"}},
        {"detail": f"invalid key {ECHOED}"},
        {"detail": [{"loc": ["body", "key"], "msg": f"bad value {ECHOED}"}]},
        f"raw text mentioning {ECHOED} and {ADMIN}",
    ],
)
def test_no_raw_key_in_any_error_even_when_the_server_echoes_one(body: Any) -> None:
    with client(_failing(401, body)) as gw, pytest.raises(GatewayHTTPError) as caught:
        gw.update_key("tok", {"blocked": True})
    text = f"{caught.value} {caught.value.detail}"
    assert ECHOED not in text
    assert ADMIN not in text
    assert "sk-...9999" in text


def test_no_raw_key_when_a_transport_error_quotes_one() -> None:
    failing = _raising(httpx.ConnectError(f"proxy refused Bearer {ADMIN}"))
    with client(failing) as gw, pytest.raises(GatewayUnreachable) as caught:
        gw.list_models()
    assert ADMIN not in str(caught.value)
    assert "sk-...1234" in str(caught.value)


def test_list_keys_can_keep_only_the_fields_a_plan_reads() -> None:
    rows = [key_row(f"a{i:03d}") for i in range(150)]
    seen: list[httpx.Request] = []
    got = client(paged_key_list(rows, seen)).list_keys(fields=("key_alias",))
    assert sorted(got, key=lambda r: r["key_alias"]) == sorted(
        ({"token": r["token"], "key_alias": r["key_alias"]} for r in rows),
        key=lambda r: r["key_alias"])
    assert len(seen) == 2


def test_an_http_gateway_loads_no_ca_bundle_and_could_never_trust_a_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    context = _tls_context("http://127.0.0.1:4000")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []  # nothing trusted: TLS through it would fail
    assert _tls_context("https://gateway.example") is True  # httpx's verified default
    monkeypatch.setenv("HTTP_PROXY", "https://proxy.example:3128")
    assert _tls_context("http://127.0.0.1:4000") is True  # TLS to the proxy is verified
