"""Issue case 3: names from the gateway are escaped in import and health text, on both gateways.

An alias with an ANSI escape, a newline and HTML, and a deployment id with a clear-screen
sequence, are shown as visible escapes: no raw control character reaches the terminal.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli

HOSTILE = "\x1b[31mred\nline<b>\u202e"


def _no_raw_controls(text: str) -> None:
    assert not [c for c in text if (ord(c) < 32 and c != "\n") or c in "\x7f\u202e"], text


def test_import_text_escapes_gateway_names(gateway: Gateway, tmp_path: Path) -> None:
    # The real proxy refuses control characters in an alias, not in metadata.agent (which
    # names an unaliased key), nor bidi marks or HTML in an alias.
    gateway.call("POST", "/key/generate", json={
        "models": [gateway.name("MiniMax-M2.5")],
        "metadata": {"agent": gateway.name("imp") + HOSTILE}})
    # Models named: a key that may call every model is a pin candidate, not an agent.
    gateway.call("POST", "/key/generate", json={"models": [gateway.name("MiniMax-M2.5")],
                                                 "key_alias": gateway.name("imp2") + "\u202e<b>"})
    done = run_cli(gateway, tmp_path, "import", "--out", "imported", "--scope", gateway.prefix,
                   "--include", gateway.name("imp") + "*")
    assert done.code == 0, done.both
    _no_raw_controls(done.out)
    agents = [line for line in done.out.splitlines() if line.startswith("  agent ")]
    assert len(agents) == 2, done.out
    assert gateway.name("imp") + "\\x1b[31mred\\x0aline<b>\\u202e (" in agents[0] + agents[1]
    assert gateway.name("imp2") + "\\u202e<b> (" in agents[0] + agents[1]


def test_health_text_escapes_gateway_names(gateway: Gateway, tmp_path: Path) -> None:
    group = gateway.name("MiniMax-M2.5")
    model_id = gateway.name("m25") + "-\x1b[2J"
    gateway.call("POST", "/model/new", json={
        "model_name": group, "litellm_params": {"model": "minimax/MiniMax-M2.5"},
        "model_info": {"id": model_id}})
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "a.yaml").write_text(
        f"config_models: ['{group}']\nagents:\n  - {{name: {gateway.name('a')}, owner: x, "
        f"models: ['{group}']}}\n", encoding="utf-8")
    done = run_cli(gateway, tmp_path, "health", "--desired", "desired", "--window", "1m")
    assert done.code in (0, 3), done.both
    _no_raw_controls(done.out)
    assert f"[  ok] model {group}: 1 deployment(s): {gateway.name('m25')}-\\x1b[2J (db)" \
        in done.out, done.out
