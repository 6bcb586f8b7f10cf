"""The routing kind as the engine sees it: one object, the fallbacks, owned whole."""

from __future__ import annotations

from reconciler.core.engine.changes import Verb
from reconciler.core.engine.kind import Kind
from reconciler.core.kinds.routing.diff import diff, reads
from reconciler.core.kinds.routing.guard import RULES, RoutingGuardContext
from reconciler.core.kinds.routing.importer import import_fallbacks
from reconciler.core.kinds.routing.live import KIND, fingerprint, parse_routing

ROUTING = Kind(
    name=KIND,
    noun="",  # "update fallbacks": the object's name says what it is
    plural="routing",
    depends_on=("model",),  # fallbacks name model groups
    verbs=(Verb.UPDATE,),
    late=(),
    parse=parse_routing,
    fingerprint=fingerprint,
    diff=diff,
    guard_context=RoutingGuardContext.build,
    guard_rules=RULES,
    reads=reads,
    importer=import_fallbacks,
)
