"""The model kind as the engine sees it."""

from __future__ import annotations

from reconciler.core.engine.changes import Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.kinds.model.diff import diff
from reconciler.core.kinds.model.guard import RULES, ModelGuardContext
from reconciler.core.kinds.model.importer import import_models
from reconciler.core.kinds.model.live import KIND, MODEL_RECORD_FIELD, fingerprint, models_of
from reconciler.core.kinds.model.live import parse_models as parse
from reconciler.core.kinds.model.ownership import claim_warnings
from reconciler.core.kinds.model.spec import recreates


def _managed(estate: Estate, live: LiveState) -> int:
    marker = marker_for(estate.settings.scope)
    return sum(m.marker == marker for m in models_of(live))


MODEL = Kind(
    name=KIND,
    noun="model",
    plural="models",
    depends_on=(),
    verbs=(Verb.ADOPT, Verb.CREATE, Verb.UPDATE),
    # Deleted last, once no key is changed to need them.
    late=(Verb.DELETE,),
    parse=parse,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=ModelGuardContext.build,
    guard_rules=RULES,
    managed=_managed,
    rail_words=("model updates", "model deletes and re-creates"),
    recreates=recreates,
    untouched={
        "config_model": ("config.yaml model (read-only)", "config.yaml model(s)"),
        "unmanaged_model": ("unmanaged model (not created by this tool; left alone)",
                            "unmanaged model(s)"),
        "other_scope_model": ("model of another scope (left alone)", "model(s) of other scopes"),
    },
    hidden=frozenset({f"model_info.{MODEL_RECORD_FIELD}", f"model_info.{MARKER_FIELD}"}),
    markers=frozenset({f"model_info.{MARKER_FIELD}"}),
    importer=import_models,
    claims=claim_warnings,
)
