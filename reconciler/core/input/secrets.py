"""Where a secret would be committed to desired/: by name, by shape, by URL. Pure.

Names are judged by word (split on `_`, `-`, `.`, spaces and camelCase, as LiteLLM's own
masking does), so `api_key`, `X-Api-Key` and `clientSecret` are secret names while LiteLLM's
pricing and limit params (`input_cost_per_token`, `max_tokens`, `tpm`) are not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

ENV_REFERENCE = "os.environ/"
_SECRET_WORDS = frozenset({
    "key", "apikey", "secret", "token", "password", "passwd", "pwd", "passphrase",
    "credential", "credentials", "auth", "authorization", "cookie", "bearer", "signature",
})
# LiteLLM params whose names hold a secret word but whose values are prices, limits or flags.
_NOT_SECRET = re.compile(
    r"(cost_per_|_cost$|^max_\w*tokens?$|^tpm$|^rpm$|^tokenizer\w*$|^token_counter$)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# A literal LiteLLM/OpenAI-style key anywhere in desired/ is a leak waiting for a merge.
LITERAL_KEY = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{6,}")
URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@]*@")
AUTH_HEADER = re.compile(r"^\s*(bearer|basic)\s+\S{6,}", re.IGNORECASE)
# Any of the three in one search: most values with a dash, a :// or a space are none of them.
_ANY_SHAPE = re.compile("|".join(
    (LITERAL_KEY.pattern, URL_USERINFO.pattern, "(?i:" + AUTH_HEADER.pattern + ")")))

Path_ = tuple[Any, ...]


@functools.lru_cache(maxsize=4096)  # the same few param names recur in every deployment
def is_secret_name(name: str) -> bool:
    if _NOT_SECRET.search(name):
        return False
    return any(word.lower() in _SECRET_WORDS for word in _WORDS.findall(name))


def secret_names_with_literals(tree: Any, base: Path_) -> Iterator[tuple[Path_, str]]:
    """(path, message) for every literal value held under a secret name in `tree`."""
    # Whether a secret name is above a value is carried down, not recomputed per leaf.
    pending: list[tuple[Path_, Any, bool]] = [(base, tree, False)]
    seen: set[tuple[int, bool]] = set()
    while pending:
        path, value, secret = pending.pop()
        if isinstance(value, dict | list):
            if (id(value), secret) in seen:  # an alias: reported where it was first met
                continue
            seen.add((id(value), secret))
        if isinstance(value, dict):
            pending.extend(((*path, k), v, secret or (isinstance(k, str) and is_secret_name(k)))
                           for k, v in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend(((*path, i), v, secret) for i, v in reversed(list(enumerate(value))))
        elif secret and _is_literal(value):
            yield path, "literal secret: use an os.environ/VARIABLE reference"


def secret_shapes(
    tree: Any, mark: Callable[[str], bool] | None = None
) -> tuple[list[tuple[Path_, str]], list[Path_]]:
    """(path, message) for every value that looks like a credential, whatever its name; and
    in the same walk the path of every text value `mark` picks (in no particular order, and
    for a tree without shared subtrees only: see leaves_where)."""
    # Runs over every value of every file: paths are built for containers and findings only.
    found: list[tuple[Path_, str]] = []
    marked: list[Path_] = []
    pending: list[tuple[Path_, Any]] = [((), tree)]
    seen: set[int] = set()
    while pending:
        path, node = pending.pop()
        if id(node) in seen or not isinstance(node, dict | list):
            continue
        seen.add(id(node))
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, str):
                # Every shape needs one of these; most values (names, numbers) have none.
                message = _shape(value) if "-" in value or "://" in value or " " in value \
                    else None
                if message:
                    found.append(((*path, key), message))
                if mark is not None and mark(value):
                    marked.append((*path, key))
            elif isinstance(value, dict | list):
                pending.append(((*path, key), value))
    return found, marked


def _shape(value: str) -> str | None:
    if not _ANY_SHAPE.search(value):
        return None
    if LITERAL_KEY.search(value):
        return "looks like a literal key: never commit secrets to desired/"
    if URL_USERINFO.search(value):
        return "a URL with user:password@: put the credential in an os.environ/ reference, " \
            "not the URL"
    if AUTH_HEADER.match(value):
        return "a literal Bearer/Basic credential: use an os.environ/VARIABLE reference"
    return None


def _is_literal(value: Any) -> bool:
    # Flags (use_azure_ad_token: true) and unset values carry no secret; text and numbers can.
    if isinstance(value, bool) or value is None:
        return False
    return not (isinstance(value, str) and value.startswith(ENV_REFERENCE))


def leaves_where(tree: Any, test: Callable[[Any], bool]) -> Iterator[Path_]:
    """The path of every leaf that passes `test`, finding shared (aliased) subtrees where
    `walk` would; paths are built for containers and findings only."""
    if not isinstance(tree, dict | list):
        yield from [()] if test(tree) else []
        return
    pending: list[tuple[Path_, Any]] = [((), tree)]
    seen: set[int] = set()
    while pending:
        path, node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Path_, Any]] = []
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, dict | list):
                children.append(((*path, key), value))
            elif test(value):
                yield (*path, key)
        pending.extend(reversed(children))  # document order, as walk visits them


def walk(node: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """Every leaf of a JSON-like tree with its path, each shared (aliased) subtree once."""
    pending = [(path, node)]
    seen: set[int] = set()
    while pending:
        here, value = pending.pop()
        if isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, dict):
            pending.extend((( *here, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend(((*here, i), v) for i, v in reversed(list(enumerate(value))))
        else:
            yield here, value
