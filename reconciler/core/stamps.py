"""What the tool last applied, recorded on every object it writes (like kubectl's
last-applied annotation, but only a digest): a plan compares it with the live object to tell
drift (someone changed the gateway) from a desired change, and with the blocked state to tell
a block the tool made from one made by hand. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from reconciler.core.input.secrets import ENV_REFERENCE, is_secret_name
from reconciler.core.live import (
    APPLIED_FIELD,
    HOLD_FIELD,
    KEY_LIMIT_FIELDS,
    MARKER_FIELD,
    ROTATED_FIELD,
    ROTATION_FIELD,
    UNDELIVERED_FIELD,
)

# Metadata the tool keeps for itself: never part of what is compared or digested.
BOOKKEEPING = frozenset(
    {MARKER_FIELD, APPLIED_FIELD, HOLD_FIELD, UNDELIVERED_FIELD, ROTATION_FIELD, ROTATED_FIELD}
)


def digest(data: Any) -> str:
    """Callers fold server defaults first (limits 50.0 -> 50, sorted models), so one JSON
    encoding of the same content is the same on both sides."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def user_metadata(metadata: dict[str, Any], ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Metadata as compared: no bookkeeping, no ignored entries."""
    skip = {name.removeprefix("metadata.") for name in ignore if name.startswith("metadata.")}
    return {k: v for k, v in metadata.items() if k not in BOOKKEEPING and k not in skip}


def key_content(
    models: Iterable[str],
    limits: dict[str, Any],
    metadata: dict[str, Any],
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """The fields of a key the tool owns, as one comparable value."""
    ignored = set(ignore)
    content: dict[str, Any] = {"models": sorted(models)}
    content.update({name: limits.get(name) for name in KEY_LIMIT_FIELDS})
    content = {k: v for k, v in content.items() if k not in ignored}
    content["metadata"] = user_metadata(metadata, ignored)
    return content


def key_record(content: dict[str, Any], *, blocked: bool, protected: bool) -> dict[str, Any]:
    """The metadata value stamped on a key the tool writes."""
    return {"sha256": digest(content), "blocked": blocked, "protected": protected}


def model_content(
    model_name: str,
    params: dict[str, Any],
    info: dict[str, Any],
    *,
    declared_params: dict[str, Any],
    info_keys: Iterable[str],
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """What of a deployment the gateway shows faithfully: secrets and env references are left
    out (hidden, masked or resolved by the gateway), so live and desired digest alike."""
    ignored = set(ignore)
    shown = {
        name: params.get(name)
        for name in sorted(declared_params)
        if not is_secret_name(name)
        and not str(declared_params[name]).startswith(ENV_REFERENCE)
        and f"litellm_params.{name}" not in ignored
    }
    return {
        "model_name": model_name,
        "litellm_params": shown,
        "model_info": {
            k: info.get(k) for k in sorted(info_keys) if f"model_info.{k}" not in ignored
        },
    }


def is_drift(recorded: str | None, live_digest: str) -> bool:
    """Unknown (nothing recorded) is not drift: the tool cannot tell, so it does not claim."""
    return recorded is not None and recorded != live_digest
