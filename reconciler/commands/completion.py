"""`reconciler completion bash|zsh`: a shell completion script generated from the parser
itself, so a new flag completes the day it is added (no argcomplete: it would import the whole
tool on every TAB, about half a second here; the script is plain shell and answers at once).

Install: `eval "$(reconciler completion bash)"` in ~/.bashrc (zsh: the same with `zsh`).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

SHELLS = ("bash", "zsh")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(flag for action in parser._actions for flag in action.option_strings)


def _value_cases(parser: argparse.ArgumentParser) -> Iterator[str]:
    """What follows a flag that takes a value: its choices, or file names for a path."""
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue
        flags = "|".join(action.option_strings)
        if action.choices:
            words = " ".join(str(choice) for choice in action.choices)
            yield f'        {flags}) COMPREPLY=($(compgen -W "{words}" -- "$cur")); return;;'
        elif action.type is Path:
            yield f'        {flags}) COMPREPLY=($(compgen -f -- "$cur")); return;;'
        else:
            yield f"        {flags}) return;;"


def _command_case(path: str, parser: argparse.ArgumentParser) -> Iterator[str]:
    subs = _subparsers(parser)
    words = " ".join([*subs, *_flags(parser)])
    yield f'    "{path}")'
    yield '      case "$prev" in'
    yield from _value_cases(parser)
    yield "      esac"
    yield f'      COMPREPLY=($(compgen -W "{words}" -- "$cur"));;'
    for name, child in subs.items():
        yield from _command_case(f"{path} {name}".strip(), child)


def _nested(parser: argparse.ArgumentParser) -> str:
    """The command paths that take a further word (e.g. `agent`): the script walks into them."""
    paths: list[str] = []

    def walk(path: str, node: argparse.ArgumentParser) -> None:
        for name, child in _subparsers(node).items():
            full = f"{path} {name}".strip()
            if _subparsers(child):
                paths.append(full)
            walk(full, child)

    walk("", parser)
    return " ".join(f"|{path}|" for path in paths)


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    prog = parser.prog
    func = f"_{prog.replace('-', '_')}_complete"
    lines = [
        f"# {shell} completion for {prog}: eval \"$({prog} completion {shell})\"",
        *(["autoload -Uz bashcompinit && bashcompinit"] if shell == "zsh" else []),
        f"{func}() {{",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '  local path="" i w',
        f'  local nested="{_nested(parser)}"',
        "  for ((i = 1; i < COMP_CWORD; i++)); do",
        '    w="${COMP_WORDS[i]}"',
        '    case "$w" in -*) continue;; esac',
        '    if [ -z "$path" ]; then path="$w"',
        '    elif [[ "$nested" == *"|$path|"* ]]; then path="$path $w"',
        "    else break; fi",
        "  done",
        '  case "$path" in',
        *_command_case("", parser),
        "  esac",
        "}",
        f"complete -o default -F {func} {prog}",
    ]
    return "\n".join(lines) + "\n"


def add_completion_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("completion", help="print a shell completion script")
    parser.add_argument("shell", choices=SHELLS,
                        help='the shell; eval "$(reconciler completion bash)" in its rc file')
