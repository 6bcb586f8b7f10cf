"""What reaches people: secrets masked in free text, hostile characters escaped, everywhere."""

from __future__ import annotations

import httpx
import pytest

from reconciler.commands.cli import main
from reconciler.core.errors import GatewayHTTPError, PlanError, ReconcilerError
from reconciler.core.masking import mask_key, printable, safe_text, scrub, strip_url_secrets
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.retry import RetryPolicy


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("key sk-Abc123Def456Ghi789Jk here", "key sk-...89Jk here"),  # LiteLLM's generated
        ("custom sk-sileya-fixed-0001.", "custom sk-...0001."),  # a custom key, then a full stop
        ("odd sk-a$b%c^d&e*f!g", "odd sk-...*f!g"),  # custom keys: any character but blanks
        ("Authorization: Bearer sk-master-1234", "Authorization: Bearer sk-...1234"),
        ("bearer abcdefghijklmnopqrst)", "bearer ...qrst)"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX3gxMjM", "jwt ...xMjM"),
        ("at http://admin:hunter2@gw.internal:4000/x", "at http://***@gw.internal:4000/x"),
        ("GET /key/info?key=abc&api_key=zzz&size=1", "GET /key/info?key=***&api_key=***&size=1"),
    ],
)
def test_scrub_masks_every_key_shape(text: str, shown: str) -> None:
    assert scrub(text) == shown


@pytest.mark.parametrize(
    "text",
    ["desk-assistant-0001", "task-runner-000001", "sk-...a1b2", "sk-short", "李狗蛋 sk-..."],
)
def test_scrub_leaves_what_is_no_secret(text: str) -> None:
    assert scrub(text) == text


def test_scrub_is_idempotent() -> None:
    text = "Bearer sk-admin-master-key-1234 and http://u:p@h sk-Abc123Def456Ghi789Jk"
    assert scrub(scrub(text)) == scrub(text)


def test_mask_key_shows_the_last_four_only() -> None:
    assert mask_key("sk-Abc123Def456Ghi789Jk") == "sk-...89Jk"
    assert mask_key("sk-1234") == "sk-..."


def test_urls_in_text_lose_their_credentials() -> None:
    assert strip_url_secrets("at https://user:pa%40ss@gw:4000 now") == "at https://***@gw:4000 now"
    assert strip_url_secrets("http://127.0.0.1:4000") == "http://127.0.0.1:4000"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("line\u2028sep\u2029par", "line\\u2028sep\\u2029par"),
        ("sile\u200bya\u200d\ufeff", "sile\\u200bya\\u200d\\ufeff"),
        ("abc\u202edcba\u2066x\u2069\u061c", "abc\\u202edcba\\u2066x\\u2069\\u061c"),
        ("nb\u00a0sp", "nb\\xa0sp"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("李狗蛋 妮可 Ünïcödé é", "李狗蛋 妮可 Ünïcödé é"),  # letters of every script stay
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert printable(shown) == shown


def test_printable_can_keep_line_breaks_only() -> None:
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


def test_every_error_message_is_safe() -> None:
    error = PlanError("no plan:\n  agent 'x\x1b[31m' holds sk-Abc123Def456Ghi789Jk")
    assert str(error) == "no plan:\n  agent 'x\\x1b[31m' holds sk-...89Jk"


def test_a_gateway_message_stays_one_line() -> None:
    error = GatewayHTTPError(status=400, method="POST", path="/key/update",
                             message="bad alias 'a\nerror: forged line'")
    assert "\n" not in str(error)
    assert error.detail == "bad alias 'a\\x0aerror: forged line'"


def test_cli_prints_errors_escaped(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    def fail(_: object) -> int:
        raise ReconcilerError("model '\u202eexe.txt' at http://u:pw@gw")
    monkeypatch.setattr("reconciler.commands.cli.run_validate", fail)
    assert main(["validate"]) == 1
    assert capsys.readouterr().err == "error: model '\\u202eexe.txt' at http://***@gw\n"


def _refusing(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def _slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


@pytest.mark.parametrize("handler", [_refusing, _slow])
def test_credentials_in_the_base_url_never_reach_a_message(handler: object) -> None:
    gw = GatewayClient("http://admin:hunter2@gw.test:4000", "sk-admin-0000000000",
                       transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
                       retry=RetryPolicy(sleep=lambda _: None))
    with gw, pytest.raises(ReconcilerError) as caught:
        gw.list_models()
    assert "hunter2" not in str(caught.value) and "admin:" not in str(caught.value)
    assert "http://gw.test:4000" in str(caught.value)


def test_safe_text_masks_then_escapes() -> None:
    assert safe_text("sk-Abc123Def456Ghi789Jk\x1b") == "sk-...89Jk\\x1b"
