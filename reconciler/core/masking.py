"""Keep secrets and terminal-hostile characters out of everything a person or a log can see.

`scrub` masks raw keys, bearer tokens, JWTs, secret query parameters and URL credentials in
free text; `printable` escapes what a terminal or a PR comment would act on instead of show
(control characters, ANSI escapes, line separators, zero-width and bidirectional marks).
"""

from __future__ import annotations

import re

# LiteLLM keys are "sk-" plus at least 8 more characters (generated ones are url-safe, custom
# ones are only length-checked); the look-behind keeps words like "desk-assistant" readable and
# the look-ahead leaves an already masked "sk-...a1b2" alone.
_KEY_CHAR = r"[^\s\x00-\x1f\x7f\"'`<>(){}\[\],;|\\]"
_RAW_KEY = re.compile(
    rf"(?<![A-Za-z0-9_\-])sk-(?!\.\.\.){_KEY_CHAR}{{8,}}(?<![.:])"
)
_BEARER = re.compile(rf"(?i)\b(bearer)\s+({_KEY_CHAR}+)")
# LiteLLM's UI and SSO hand out JWTs; their first segment always starts with eyJ ('{"').
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@")
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:api[_-]?key|key|token|access_token|password|passwd|secret)=)[^&\s#\"']+"
)


def mask_key(raw: str) -> str:
    """`sk-...a1b2`: enough to recognise a key, never enough to use it."""
    if len(raw) < 8:
        return "sk-..."
    return f"sk-...{raw[-4:]}"


def strip_url_secrets(text: str) -> str:
    """Any URL in free text without `user:password@` and without secret query values (for a
    whole address on its own, core.address.redact_url drops query and fragment too)."""
    return _SECRET_QUERY.sub(r"\1***", _URL_CREDENTIALS.sub(r"\1***@", text))


def scrub(text: str) -> str:
    """Mask every raw-looking secret inside free text (error bodies, command output, URLs)."""
    text = strip_url_secrets(text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {_tail(m.group(2))}", text)
    text = _JWT.sub(lambda m: _tail(m.group(0)), text)
    return _RAW_KEY.sub(lambda m: mask_key(m.group(0)), text)


def _tail(secret: str) -> str:
    if secret.startswith("sk-"):
        return mask_key(secret)
    return f"...{secret[-4:]}" if len(secret) >= 12 else "..."


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Escape every character a terminal or renderer would act on rather than show.

    Letters of every script stay as they are (李狗蛋); control characters (ANSI escapes
    included), line and paragraph separators, zero-width, bidirectional and other format
    characters, unassigned code points and unusual spaces become visible `\\u....` escapes.
    """
    if text.isprintable():
        return text
    return "".join(_escape(ch, keep_newlines) for ch in text)


def _escape(ch: str, keep_newlines: bool) -> str:
    if ch.isprintable() or (keep_newlines and ch == "\n"):
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_text(text: str, *, keep_newlines: bool = False) -> str:
    """What may be printed: secrets masked, hostile characters escaped."""
    return printable(scrub(text), keep_newlines=keep_newlines)
