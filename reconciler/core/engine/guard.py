"""The last check before every write: does this change keep the tool's promises? Pure.

The diff never proposes a forbidden change, but a plan can come from a file, and code has
bugs; so each change is checked again at the point of change, against the estate and the
live state read at apply time, never against what the change says about itself:

- no write to a pinned key (by live token or alias) or under a pinned alias;
- no write to a key or model that does not carry this scope's marker on the LIVE object;
- adoption (adopt_key, adopt_model) only of a live object that carries NO marker at all (never
  another scope's, never a pinned key, never a config.yaml model), stamping this scope's;
- no unblock of a key held blocked outside desired/ (kinds/key/holds.py);
- a rotation (rotate_key) only moves a managed key out of its agent's alias, marked as rotated
  out with a lifetime; only then may a new key of that alias be created;
- the action and the object agree: a key change's key_id is a live key whose alias is the
  change's target; creates carry no raw key value and no empty model list (LiteLLM reads
  `models: []` as every model); managed metadata keeps this scope's marker; config.yaml
  models are never written; fallbacks are written only as desired/ declares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.engine.live import LiveState
from reconciler.core.errors import ForbiddenChangeError
from reconciler.core.input.desired import Estate
from reconciler.core.registry import KINDS, kind

__all__ = ["Guard", "GuardContext"]


@dataclass(frozen=True)
class GuardContext:
    """Each kind's view of the estate and the live state read at apply time."""

    parts: Mapping[str, Any]

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> GuardContext:
        return cls({k.name: k.guard_context(estate, live) for k in KINDS})


class Guard:
    """Callable the executor runs before every change; raises ForbiddenChangeError."""

    def __init__(self, context: GuardContext) -> None:
        self.context = context

    def __call__(self, change: Change) -> None:
        rules = kind(change.kind).guard_rules if change.kind in self.context.parts else {}
        rule = rules.get(change.verb)
        # Deny by default: an action nobody taught the guard is not an action it allows.
        problem = rule(self.context.parts[change.kind], change) if rule else (
            "the guard has no rule for it"
        )
        if problem:
            raise ForbiddenChangeError(f"refused {change.action} {change.target!r}: {problem}")
