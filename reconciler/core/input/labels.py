"""How a problem names the field it is about: `agents[李狗蛋].max_budget`. Pure."""

from __future__ import annotations

import unicodedata
from typing import Any

from reconciler.core.input.yamlsource import Path_


def field_label(data: Any, loc: Path_) -> str:
    """`agents[李狗蛋].max_budget`: list items named by their name/id when they have one."""
    label = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("name") or item.get("id") if isinstance(item, dict) else None
            # A name with control characters is shown by its index, never printed raw.
            # So is one starting with a combining mark, which would draw onto the '['.
            named = isinstance(ident, str) and ident.isprintable() and len(ident) <= 80 \
                and not unicodedata.category(ident[:1] or "a").startswith("M")
            label += f"[{unicodedata.normalize('NFC', ident)}]" if named else f"[{part}]"
            node = item
        else:
            text = str(part) if str(part).isprintable() else ascii(part)
            label += f".{text}" if label else text
            node = node.get(part) if isinstance(node, dict) else None
    return label or "(file)"
