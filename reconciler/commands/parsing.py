"""The argument parser's manners: every flag's help says its default, and a mistyped command
or option gets a did-you-mean (argparse gains `suggest_on_error` only in Python 3.14)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from reconciler.core.input.suggest import did_you_mean

# The parser that parsed last: after a subcommand's parser ran, it knows that command's flags,
# which an "unrecognized arguments" error (raised by the top parser) does not.
_last: list[argparse.ArgumentParser] = []
AddFlags = Callable[[argparse.ArgumentParser], None]


class DefaultsFormatter(argparse.HelpFormatter):
    """Appends "(default: X)" to every flag whose help does not say its default yet. A help
    that already names its default (e.g. "$LITELLM_ADMIN_KEY") is left alone, so a default
    read from a secret variable is never printed."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text.lower() or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            return text
        return f"{text} (default: %(default)s)".strip()


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Any = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        _last[:] = [self]
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        super().error(message + _suggestion(message, _last[0] if _last else self))


def _suggestion(message: str, parser: argparse.ArgumentParser) -> str:
    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        return did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
    unknown = re.search(r"unrecognized arguments: (\S+)", message)
    if unknown and unknown.group(1).startswith("-"):
        flag = unknown.group(1).split("=", 1)[0]
        options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        return did_you_mean(flag, options)
    return ""


def add_incident_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                         desired_flag: AddFlags, gateway_flags: AddFlags) -> None:
    """block AGENT --reason TEXT and unblock AGENT."""
    block = sub.add_parser("block", help="block an agent's key now (held until unblock)")
    block.add_argument("agent", help="the agent's name in desired/ (its key's alias)")
    block.add_argument("--reason", required=True, help="why; recorded on the key")
    unblock = sub.add_parser("unblock", help="lift a block made outside desired/")
    unblock.add_argument("agent", help="the agent's name in desired/ (its key's alias)")
    for parser in (block, unblock):
        desired_flag(parser)
        gateway_flags(parser)


def add_sandbox_flags(sandbox: argparse.ArgumentParser) -> None:
    sandbox.add_argument("--port", type=int, default=4001, help="port on 127.0.0.1")
    sandbox.add_argument("--master-key", default=os.environ.get("SANDBOX_MASTER_KEY"),
                         help="its admin key (default: $SANDBOX_MASTER_KEY, else "
                         "sk-sandbox-master-key)")
    sandbox.add_argument("--state", type=Path, help="keep the sandbox's state in this JSON file")
    sandbox.add_argument("--no-seed", action="store_true", help="start empty")
    sandbox.add_argument("--latency", type=float, default=0.0,
                         help="seconds added to every answer, to play a gateway far away")
