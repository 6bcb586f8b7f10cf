"""agent add | set: change desired/ without hand-written YAML, then validate and show the plan.

The edit is checked against the whole tree before anything is written: an edit that would
make desired/ invalid (a pinned alias, an unknown model, a duplicate) leaves every file as
it was. The gateway is only read (for the plan), never written: apply stays a reviewed step.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.commands.common import EXIT_OK, open_client, read_live, use_color
from reconciler.commands.sources import read_sources, target_names
from reconciler.commands.targets import add_desired_flags, desired_estate, load_tree
from reconciler.core.engine.planner import plan_changes, reads
from reconciler.core.errors import DesiredError, ReconcilerError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamledit import (
    CLEAR,
    EditError,
    find_agent,
    new_agent_file,
    set_field,
)
from reconciler.core.input.yamlsource import Source, YamlProblem, parse
from reconciler.core.render import render

# Flag -> desired/ field, for the fields both commands can set.
FIELD_FLAGS = {
    "owner": "owner",
    "models": "models",
    "team": "team",
    "budget": "max_budget",
    "budget_duration": "budget_duration",
    "rpm": "rpm_limit",
    "tpm": "tpm_limit",
    "blocked": "blocked",
    "rotation_grace": "rotation_grace",
}
_SAFE_FILE_NAME = re.compile(r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]{0,99}$")


def add_agent_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    gateway_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    agent = sub.add_parser("agent", help="add an agent to desired/ or change one")
    verbs = agent.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="declare a new agent in desired/agents/NAME.yaml")
    set_ = verbs.add_parser("set", help="change fields of an agent where it is declared")
    set_.add_argument("--rotate", action="store_true",
                      help="bump the agent's rotation serial: the next apply gives it a new key")
    for parser, required in ((add, True), (set_, False)):
        parser.add_argument("name", help="the agent's name (its key's alias)")
        parser.add_argument("--models", type=_csv, required=required, help="A,B,...")
        parser.add_argument("--owner", required=required, help="who answers for it")
        parser.add_argument("--team", type=_text_or_none,
                            help="a team of desired/ `teams:` its key belongs to, or none")
        parser.add_argument("--budget", type=_number_or_none, help="max_budget, or none")
        parser.add_argument("--budget-duration", type=_text_or_none, help="e.g. 30d, or none")
        parser.add_argument("--rpm", type=_int_or_none, help="rpm_limit, or none")
        parser.add_argument("--tpm", type=_int_or_none, help="tpm_limit, or none")
        parser.add_argument("--blocked", type=_bool, help="true or false")
        parser.add_argument("--rotation-grace", type=_text_or_none,
                            help="how long a rotated-out key keeps working (e.g. 1h, 7d)")
        add_desired_flags(parser)
        parser.add_argument("--no-plan", action="store_true", help="validate only")
        gateway_flags(parser)  # the same address, key, timeout and retry flags as plan


def run_agent(args: argparse.Namespace) -> int:
    sources = read_sources(args.desired)
    fields = {f: getattr(args, flag) for flag, f in FIELD_FLAGS.items()
              if getattr(args, flag) is not None}
    if args.verb == "add":
        path, text = _added(args.desired, sources, args.name, fields)
    else:
        if args.rotate:
            fields["rotation"] = _next_rotation(sources, args.name)
        if not fields:
            raise ReconcilerError("nothing to set: give --rotate or at least one of "
                                  + _flag_list())
        path, text = _changed(sources, args.name, fields)
    edited = [s for s in sources if s.name != str(path)] + [Source(str(path), text)]
    load_estate(sorted(edited, key=lambda s: s.name))  # DesiredError: nothing written
    _write_checked(args.desired, path, text)
    print(f"{'Added' if args.verb == 'add' else 'Changed'} agent {args.name!r} in {path}; "
          "desired/ is valid.")
    if args.no_plan or not (args.base_url and args.admin_key):
        why = "--no-plan" if args.no_plan else "no gateway given"
        print(f"Plan not shown ({why}); run: reconciler plan")
        return EXIT_OK
    if target_names(args.desired) and not args.target:
        print("Plan not shown: desired/ has targets; run: reconciler plan --target NAME")
        return EXIT_OK
    args.desired_tree = None  # read again: the cached tree is from before the edit
    estate = desired_estate(args)
    with open_client(args) as client:
        plan = plan_changes(estate, read_live(client, reads(estate)))
    render(plan, sys.stdout, color=use_color(sys.stdout))
    return EXIT_OK


def _next_rotation(sources: list[Source], name: str) -> int:
    agent = next((a for a in load_estate(sources).agents if a.name == name), None)
    return 1 if agent is None or agent.rotation is None else agent.rotation + 1


def _write_checked(directory: Path, path: Path, text: str) -> None:
    """Write, then check every target's estate over it; put the old file back if one breaks."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    _write(path, text)
    try:
        for name in target_names(directory):
            load_tree(directory, name)
    except DesiredError:
        if old is None:
            path.unlink()
        else:
            _write(path, old)
        raise


def _added(
    directory: Path, sources: list[Source], name: str, fields: dict[str, Any]
) -> tuple[Path, str]:
    for source in sources:
        if _declares(source, name):
            raise ReconcilerError(
                f"agent {name!r} is already declared in {source.name}; use: reconciler agent set"
            )
    path = directory / "agents" / f"{_file_stem(name)}.yaml"
    if path.exists():
        raise ReconcilerError(f"{path} exists already; add the agent there by hand")
    return path, _modeline(sources, path.parent) + new_agent_file({"name": name, **fields})


def _modeline(sources: list[Source], folder: Path) -> str:
    """The editor's schema hint its neighbours carry, so a new file is checked like them."""
    for source in sources:
        first = source.text.split("\n", 1)[0]
        if Path(source.name).parent == folder and first.startswith("# yaml-language-server:"):
            return first + "\n"
    return ""


def _changed(sources: list[Source], name: str, fields: dict[str, Any]) -> tuple[Path, str]:
    for source in sources:
        if not _declares(source, name):
            continue
        text = source.text
        try:
            for field, value in fields.items():
                text = set_field(text, parse(text), name, field, value)
        except EditError as exc:
            raise ReconcilerError(f"{source.name}: {exc}") from None
        return Path(source.name), text
    raise ReconcilerError(f"agent {name!r} is declared nowhere in desired/; use: agent add")


def _declares(source: Source, name: str) -> bool:
    try:
        find_agent(source.text, parse(source.text), name)
    except (EditError, YamlProblem):
        return False
    return True


def _file_stem(name: str) -> str:
    if _SAFE_FILE_NAME.match(name):
        return name
    return "agent-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def _write(path: Path, text: str) -> None:
    # Written whole or not at all: a half-written desired/ file would be a broken review.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise ReconcilerError(f"cannot write {path}: {exc.strerror}") from None


def _flag_list() -> str:
    return ", ".join("--" + flag.replace("_", "-") for flag in FIELD_FLAGS)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _none(text: str) -> bool:
    # `none` clears the field (removed from the agent's entry); an absent flag leaves it.
    return text.strip().lower() in ("none", "null", "")


def _number_or_none(text: str) -> Any:
    if _none(text):
        return CLEAR
    value = float(text)
    return int(value) if value.is_integer() else value


def _int_or_none(text: str) -> Any:
    return CLEAR if _none(text) else int(text)


def _text_or_none(text: str) -> Any:
    return CLEAR if _none(text) else text


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError("true or false")
    return lowered == "true"
