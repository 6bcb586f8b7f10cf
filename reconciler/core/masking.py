"""Keep raw keys out of everything a person or a log can see."""

from __future__ import annotations

import re

# LiteLLM keys are "sk-" plus url-safe characters; 8+ of them is long enough to be a real secret
# and short enough to catch custom keys.
_RAW_KEY = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def mask_key(raw: str) -> str:
    """`sk-...a1b2`: enough to recognise a key, never enough to use it."""
    if len(raw) < 8:
        return "sk-..."
    return f"sk-...{raw[-4:]}"


def scrub(text: str) -> str:
    """Mask every raw-looking key inside free text (error bodies, command output)."""
    return _RAW_KEY.sub(lambda m: mask_key(m.group(0)), text)
