"""What the tool last applied, recorded on every object it writes (like kubectl's
last-applied annotation, but only a digest): a plan compares it with the live object to tell
drift (someone changed the gateway) from a desired change, and with the blocked state to tell
a block the tool made from one made by hand. Pure.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def digest(data: Any) -> str:
    """Callers fold server defaults first (limits 50.0 -> 50, sorted models), so one JSON
    encoding of the same content is the same on both sides."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def is_drift(recorded: str | None, live_digest: str) -> bool:
    """Unknown (nothing recorded) is not drift: the tool cannot tell, so it does not claim."""
    return recorded is not None and recorded != live_digest
