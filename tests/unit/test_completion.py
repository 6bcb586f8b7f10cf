"""Shell completion: the script `reconciler completion bash` prints, run by bash itself."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from reconciler.commands.cli import build_parser, main
from reconciler.commands.completion import completion_script

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")


def _complete(*words: str) -> list[str]:
    """What TAB offers after `reconciler WORDS...` (the last word is the one being typed)."""
    script = completion_script(build_parser(), "bash")
    line = " ".join(["reconciler", *(f"'{w}'" for w in words)])
    probe = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words)}\n"
             "_reconciler_complete\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30,
                          check=True)
    assert done.stderr == ""
    return [w for w in done.stdout.splitlines() if w]


@needs_bash
def test_commands_complete_from_their_first_letters() -> None:
    assert _complete("pl") == ["plan"]
    assert {"validate", "plan", "apply", "import", "block", "usage", "completion"} <= set(
        _complete(""))


@needs_bash
def test_a_commands_flags_and_a_flags_choices_complete() -> None:
    assert "--detailed-exitcode" in _complete("plan", "--de")
    assert _complete("plan", "--format", "") == ["text", "markdown", "json", "drift"]
    assert _complete("apply", "--auto") == ["--auto-approve"]


@needs_bash
def test_nested_commands_complete_their_own_flags() -> None:
    assert set(_complete("agent", "")) >= {"add", "set"}
    assert _complete("agent", "set", "--rot") == ["--rotate", "--rotation-grace"]
    assert _complete("agent", "add", "--rot") == ["--rotation-grace"]


@needs_bash
def test_a_flag_taking_a_free_value_offers_no_words() -> None:
    assert _complete("plan", "--timeout", "") == []


def test_the_command_prints_the_script_and_zsh_loads_bashcompinit(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "autoload -Uz bashcompinit && bashcompinit"
    assert out.rstrip().endswith("complete -o default -F _reconciler_complete reconciler")
    with pytest.raises(SystemExit) as caught:
        main(["completion", "fish"])
    assert caught.value.code == 2
