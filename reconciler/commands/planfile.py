"""Reading a saved plan file (`plan --out`) with the limits desired/ files get.

A plan file comes from a CI artifact: it may be anything. Only a regular file is read (a FIFO,
/dev/zero or a socket is refused before any read, never waited on), at most MAX_PLAN_BYTES,
nested at most MAX_PLAN_DEPTH levels, so a hostile file is one line, not a hang, a
MemoryError or a RecursionError.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from reconciler.core.errors import PlanError

# A 10,000-agent plan is about 10 MB; JSON a plan never holds deeper than about 8 levels.
MAX_PLAN_BYTES = 100 * 1024 * 1024
MAX_PLAN_DEPTH = 64


def read_plan_json(path: Path) -> Any:
    def refuse(why: str) -> PlanError:
        return PlanError(f"cannot read plan file {path}: {why}")

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise refuse("it is not a regular file")
        raw = _read_at_most(fd, MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_PLAN_BYTES:
        raise refuse(f"it is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise refuse(f"it is nested deeper than {MAX_PLAN_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise refuse(" ".join(str(exc).split())[:200]) from None
    if _depth_over(data, MAX_PLAN_DEPTH):
        raise refuse(f"it is nested deeper than {MAX_PLAN_DEPTH} levels")
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _depth_over(data: Any, limit: int) -> bool:
    """Without recursion: whether any value lies deeper than `limit` containers."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items if isinstance(v, (dict, list)))
    return False
