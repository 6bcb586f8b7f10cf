"""What of a key the tool owns, as one comparable value, and the record stamped on it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.core.engine.stamps import digest
from reconciler.core.kinds.key.fields import BOOKKEEPING, KEY_LIMIT_FIELDS


def user_metadata(metadata: dict[str, Any], ignore: Iterable[str] = ()) -> dict[str, Any]:
    """Metadata as compared: no bookkeeping, no ignored entries."""
    skip = {name.removeprefix("metadata.") for name in ignore if name.startswith("metadata.")}
    return {k: v for k, v in metadata.items() if k not in BOOKKEEPING and k not in skip}


def key_content(
    models: Iterable[str],
    limits: dict[str, Any],
    metadata: dict[str, Any],
    ignore: Iterable[str] = (),
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of a key the tool owns, as one comparable value. `extras`: the declared
    ones of schema.KEY_EXTRA_FIELDS (undeclared ones are not owned, so not in it: a key
    without any has the content, and the digest, it had before they existed)."""
    ignored = set(ignore)
    content: dict[str, Any] = {"models": sorted(models)}
    content.update({name: limits.get(name) for name in KEY_LIMIT_FIELDS})
    content.update(extras or {})
    content = {k: v for k, v in content.items() if k not in ignored}
    content["metadata"] = user_metadata(metadata, ignored)
    return content


def key_record(content: dict[str, Any], *, blocked: bool, protected: bool) -> dict[str, Any]:
    """The metadata value stamped on a key the tool writes."""
    return {"sha256": digest(content), "blocked": blocked, "protected": protected}
