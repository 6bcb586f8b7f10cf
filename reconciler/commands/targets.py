"""--desired and --target for every command that reads desired/, and the target's gateway.

`desired_tree(args)` reads desired/ once per run: the shared tree alone, or with
desired/targets/NAME/ laid over it (reconciler.core.input.targets). When the target names its
gateway, the address and admin key come from the variables it names, and only from them:
`--target production` never falls back to LITELLM_* (which may point at staging).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.connection import admin_key_from_env
from reconciler.commands.sources import read_sources, read_target, target_names
from reconciler.core.errors import DesiredError, ReconcilerError
from reconciler.core.input.desired import Estate, GatewayBinding
from reconciler.core.input.incident import incident_view
from reconciler.core.input.loader import load_estate
from reconciler.core.input.targets import load_target
from reconciler.core.input.yamlsource import Source


def add_desired_flags(parser: argparse.ArgumentParser) -> None:
    """--desired DIR and --target NAME: one line per command that reads desired/."""
    parser.add_argument(
        "--desired",
        type=Path,
        default=Path("desired"),
        help="directory of desired/*.yaml (default: %(default)s)",
    )
    parser.add_argument(
        "--target",
        metavar="NAME",
        help="lay desired/targets/NAME/ over the shared tree and use that target's gateway",
    )


@dataclass(frozen=True)
class DesiredTree:
    """What one run reads from desired/: the estate, every file it came from, its target."""

    estate: Estate
    sources: list[Source]
    target: str | None = None
    gateway: GatewayBinding | None = None


def desired_tree(args: argparse.Namespace) -> DesiredTree:
    """desired/ (with --target's overlay) read and validated once per run; binds the gateway."""
    cached = getattr(args, "desired_tree", None)
    if isinstance(cached, DesiredTree):
        return cached
    tree = load_tree(args.desired, getattr(args, "target", None))
    _bind_gateway(args, tree)
    args.desired_tree = tree
    return tree


def desired_estate(args: argparse.Namespace) -> Estate:
    return desired_tree(args).estate


def incident_tree(args: argparse.Namespace) -> tuple[DesiredTree, frozenset[str]]:
    """desired/ for block / unblock, and the agents it declares blocked: the whole tree when
    it is valid, else only the pinned list, the scope and the gateway binding (an emergency
    must not wait for a typo elsewhere; reconciler.core.input.incident)."""
    try:
        tree = desired_tree(args)
    except DesiredError as exc:
        target = getattr(args, "target", None)
        shared = read_sources(args.desired)
        own = read_target(args.desired, target) if target is not None else []
        if target is None and target_names(args.desired):
            raise
        view = incident_view(shared, own)
        print(f"note: desired/ is invalid ({len(exc.problems)} problem(s); `reconciler "
              "validate` lists them); its pinned keys, scope and gateway are valid, and "
              "that is all this command needs", file=sys.stderr)
        tree = DesiredTree(view.estate, shared + own, target, view.gateway)
        _bind_gateway(args, tree)
        return tree, view.blocked_agents
    return tree, frozenset(a.name for a in tree.estate.agents if a.blocked)


def load_tree(directory: Path, target: str | None) -> DesiredTree:
    shared = read_sources(directory)
    if target is None:
        names = target_names(directory)
        if names:
            # The shared tree alone is no target's estate, and LITELLM_* may point anywhere.
            raise ReconcilerError(
                f"{directory} has targets ({', '.join(names)}): choose one with --target NAME"
            )
        return DesiredTree(load_estate(shared), shared)
    own = read_target(directory, target)
    loaded = load_target(target, shared, own)
    return DesiredTree(loaded.estate, shared + own, target, loaded.gateway)


def all_trees(directory: Path) -> list[DesiredTree]:
    """Every target's merged estate (validate without --target), or the shared tree alone."""
    names = target_names(directory)
    return [load_tree(directory, name) for name in names] or [load_tree(directory, None)]


def _bind_gateway(args: argparse.Namespace, tree: DesiredTree) -> None:
    binding = tree.gateway
    if binding is None or not hasattr(args, "base_url"):
        return
    # The flags default to LITELLM_*; a value different from those was typed on purpose.
    defaults = {"base_url": os.environ.get("LITELLM_BASE_URL"), "admin_key": admin_key_from_env()}
    for flag, env in (("base_url", binding.base_url_env), ("admin_key", binding.admin_key_env)):
        given = getattr(args, flag)
        if given is not None and given != defaults[flag]:
            raise ReconcilerError(
                f"target {tree.target!r} names its gateway (${env}): leave out "
                f"--{flag.replace('_', '-')}"
            )
        value = os.environ.get(env)
        if not value:
            raise ReconcilerError(f"target {tree.target!r} reads its gateway from ${env}, "
                                  "which is not set")
        setattr(args, flag, value)
    # Unset or not named: no replicas (never LITELLM_REPLICA_URLS, which may be staging's).
    args.replica_urls = os.environ.get(binding.replicas_env, "") if binding.replicas_env else ""
    # Said once, on stderr: a CI log shows which gateway a run read or changed.
    print(f"target {tree.target}: gateway from ${binding.base_url_env}", file=sys.stderr)
