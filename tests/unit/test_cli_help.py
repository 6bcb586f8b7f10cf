"""Help for every flag and positional, with its default; did-you-mean (issue 19, item 11)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from reconciler.commands.cli import build_parser, main


def _parsers(parser: argparse.ArgumentParser, name: str = "reconciler"
             ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_flag_and_positional_has_help_that_says_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LITELLM_ADMIN_KEY", "sk-secret-admin-key-never-printed")
    monkeypatch.setenv("SANDBOX_MASTER_KEY", "sk-sandbox-secret-never-printed")
    missing = []
    for name, parser in _parsers(build_parser()):
        text = parser.format_help()
        assert "never-printed" not in text, name  # a default read from a secret variable
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            flag = "/".join(action.option_strings) or action.dest
            if not action.help:
                missing.append(f"{name} {flag}: no help")
                continue
            trivial = action.default in (None, False, [], argparse.SUPPRESS)
            if not trivial and "default" not in (parser._get_formatter()._expand_help(action)):
                missing.append(f"{name} {flag}: default {action.default!r} not said")
    assert missing == []


@pytest.mark.parametrize(("argv", "hint"), [
    (["paln"], "(did you mean 'plan'?)"),
    (["agent", "ad", "x"], "(did you mean 'add'?)"),
    (["plan", "--format", "jsn"], "(did you mean 'json'?)"),
    (["agent", "set", "x", "--budjet", "3"], "(did you mean '--budget'?)"),
    (["usage", "--mnth", "2026-10"], "(did you mean '--month'?)"),
])
def test_a_mistyped_command_or_flag_gets_a_did_you_mean(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert hint in capsys.readouterr().err
