"""The gateway address and key as users give them: /v1 suffixes, credentials, both key names."""

from __future__ import annotations

import httpx
import pytest

from reconciler.commands.cli import build_parser
from reconciler.commands.connection import admin_key_from_env
from reconciler.core.address import normalize_base_url, redact_url
from reconciler.core.errors import AuthenticationFailed, GatewayError, NotFound
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.retry import RetryPolicy

HTML = "<!DOCTYPE html>\n<html>\n<head><title>Sign in</title></head>\n<body>\n" + "x\n" * 200


@pytest.mark.parametrize(
    ("typed", "root"),
    [
        ("http://gw:4000/v1", "http://gw:4000"),
        ("http://gw:4000/v1/", "http://gw:4000"),
        ("http://gw:4000/v1//", "http://gw:4000"),
        ("https://example.org/litellm/v1", "https://example.org/litellm"),
    ],
)
def test_an_openai_style_v1_suffix_is_dropped_with_a_note(typed: str, root: str) -> None:
    url, note = normalize_base_url(typed)
    assert url == root
    assert note is not None and root in note and "not under /v1" in note


@pytest.mark.parametrize(
    "typed", ["http://gw:4000", "http://gw:4000/", " http://gw:4000 ", "http://gw/v1beta"]
)
def test_other_addresses_are_kept_without_a_note(typed: str) -> None:
    url, note = normalize_base_url(typed)
    assert note is None
    assert url == typed.strip().rstrip("/")


def test_the_note_never_shows_credentials_in_the_url() -> None:
    url, note = normalize_base_url("https://admin:hunter2@gw.example/v1")
    assert url == "https://admin:hunter2@gw.example"  # still used to connect
    assert note is not None and "hunter2" not in note and "admin:" not in note


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@gw.example:8443/root?token=abc#x", "https://gw.example:8443/root"),
        ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
        ("http://[::1]:4000/", "http://[::1]:4000/"),
    ],
)
def test_redacted_url_keeps_scheme_host_port_path_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"LITELLM_ADMIN_KEY": "sk-admin-aaaa1111"}, "sk-admin-aaaa1111"),
        ({"LITELLM_API_KEY": "sk-api-bbbb2222"}, "sk-api-bbbb2222"),
        # The tool's own name wins over LiteLLM's shared one.
        ({"LITELLM_ADMIN_KEY": "sk-admin-aaaa1111", "LITELLM_API_KEY": "sk-api-bbbb2222"},
         "sk-admin-aaaa1111"),
        ({"LITELLM_ADMIN_KEY": "", "LITELLM_API_KEY": "sk-api-bbbb2222"}, "sk-api-bbbb2222"),
        ({}, None),
    ],
)
def test_admin_key_comes_from_either_variable(env: dict[str, str], key: str | None) -> None:
    assert admin_key_from_env(env) == key


def test_the_flag_beats_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_ADMIN_KEY", "sk-admin-aaaa1111")
    monkeypatch.setenv("LITELLM_API_KEY", "sk-api-bbbb2222")
    assert build_parser().parse_args(["plan"]).admin_key == "sk-admin-aaaa1111"
    monkeypatch.delenv("LITELLM_ADMIN_KEY")
    assert build_parser().parse_args(["plan"]).admin_key == "sk-api-bbbb2222"
    args = build_parser().parse_args(["plan", "--admin-key", "sk-flag-cccc3333"])
    assert args.admin_key == "sk-flag-cccc3333"


def _answering(status: int, text: str, ctype: str) -> GatewayClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=text, headers={"content-type": ctype})

    # Retried answers (502) must not sleep between attempts here: the clock is injected.
    return GatewayClient("http://u:pw@gw.test", "sk-admin", transport=httpx.MockTransport(handler),
                         retry=RetryPolicy(sleep=lambda _: None))


@pytest.mark.parametrize("status", [200, 302, 404, 502])
def test_an_html_answer_is_one_line_naming_status_and_type(status: int) -> None:
    with _answering(status, HTML, "text/html; charset=utf-8") as gw, pytest.raises(
        GatewayError
    ) as caught:
        gw.list_models()
    message = str(caught.value)
    assert "\n" not in message and "<" not in message and "Sign in" not in message
    assert f"answered {status}" in message
    assert "text/html" in message
    assert "root address" in message
    assert "pw@" not in message


def test_a_plain_text_error_is_collapsed_to_one_short_line() -> None:
    with _answering(502, "Bad gateway\nupstream\n" + "z" * 500, "text/plain") as gw, pytest.raises(
        GatewayError
    ) as caught:
        gw.list_models()
    message = str(caught.value)
    assert "\n" not in message
    assert "Bad gateway upstream" in message
    assert len(message) < 300


def test_an_unknown_route_404_hints_at_the_address() -> None:
    with _answering(404, '{"detail":"Not Found"}', "application/json") as gw, pytest.raises(
        NotFound
    ) as caught:
        gw.list_models()
    assert str(caught.value) == (
        "GET /model/info answered 404: Not Found (no such route: is LITELLM_BASE_URL the "
        "proxy's root address (without /v1 or another path)?)"
    )


def test_a_read_only_viewer_key_is_told_it_can_plan_but_not_apply() -> None:
    body = (
        '{"error":{"message":"user not allowed to access this route, role= '
        'proxy_admin_viewer. Trying to access: /key/block"}}'
    )
    with _answering(403, body, "application/json") as gw, pytest.raises(
        AuthenticationFailed
    ) as caught:
        gw.block_key("tok")
    assert "read-only proxy_admin_viewer key: it can plan, not apply" in str(caught.value)
