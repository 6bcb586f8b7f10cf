"""What a kind of gateway object tells the engine about itself. Pure.

Each package under reconciler/core/kinds/ builds one Kind; the registry lists them. The engine
(plan, guard, rails, renderers, import) and the executor read only these fields, so a new kind
is a new package and a registry line, not edits across the core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.core.engine.changes import Change, PlanInputs, Verb
from reconciler.core.engine.live import LiveState

if TYPE_CHECKING:
    from reconciler.core.engine.importer import ImportResult
    from reconciler.core.input.desired import Estate

Rule = Callable[[Any, Change], "str | None"]
Matcher = Callable[..., bool]


def _never(_: Change) -> bool:
    return False


def _always(_: Estate) -> bool:
    return True


def _no_claims(_: LiveState) -> list[str]:
    return []


@dataclass(frozen=True)
class Kind:
    name: str  # the address prefix and Change.kind: `key` in `key.李狗蛋`
    noun: str  # how a text plan names one ("create key X"); "" when the name says it
    plural: str  # for counts: existing_managed in a saved plan
    # Kinds whose objects this kind's objects refer to: created before, deleted after.
    depends_on: tuple[str, ...]
    # The verbs of this kind in apply order; `late` ones run after every kind's other
    # phases, in reverse dependency order (a model is deleted once no key needs it).
    verbs: tuple[Verb, ...]
    late: tuple[Verb, ...]
    # What the gateway module read -> the normalised live objects (LiveState.part).
    parse: Callable[[Any], Any]
    # The live objects as canonical JSON-ready data: a saved plan is tied to what it saw.
    fingerprint: Callable[[Any], Any]
    # desired/ vs live -> changes and untouched objects in `acc`; returns conflicts that
    # forbid any plan.
    diff: Callable[[Estate, LiveState, PlanInputs], list[str]]
    guard_context: Callable[[Estate, LiveState], Any]
    # The guard's rule per verb; a verb without a rule is refused (deny by default).
    guard_rules: Mapping[Verb, Rule]
    # Whether a plan must read this kind at all (routing: only when desired/ declares it).
    reads: Callable[[Estate], bool] = _always
    # Safety rails: managed objects of this scope before the plan (None: no rails), and the
    # words of the two rails ("key updates", "key blocks and deletes").
    managed: Callable[[Estate, LiveState], int] | None = None
    rail_words: tuple[str, str] = ("", "")
    # An update that apply carries out as delete + create (a model setting removed).
    recreates: Callable[[Change], bool] = _never
    # A change apply cannot make without a secret sink (a key create).
    needs_sink: Callable[[Change], bool] = _never
    # Untouched labels: label -> (the line's words, the count line's words).
    untouched: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Dotted fields renderers never show (the tool's bookkeeping), and the marker fields an
    # adoption shows being stamped.
    hidden: frozenset[str] = frozenset()
    markers: frozenset[str] = frozenset()
    importer: Callable[[LiveState, Estate, Matcher, ImportResult], None] | None = None
    # Warnings for live objects that carry the marker without proof that the tool wrote them.
    claims: Callable[[LiveState], list[str]] = _no_claims

    @property
    def always_read(self) -> bool:
        """Read by every plan (keys, models), not only when desired/ declares the kind."""
        return self.reads is _always

    @property
    def all_verbs(self) -> tuple[Verb, ...]:
        return self.verbs + self.late
