"""stdout that survives its reader going away (`reconciler plan | head -1`).

When the reader closes the pipe, further output is dropped instead of raising BrokenPipeError
in the middle of a command: a plan still ends with its own exit code, and an apply whose
progress lines nobody reads still carries out every change and writes its report.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class PipeSafeStream:
    """Wraps a text stream; after a broken pipe it turns into a sink that accepts everything."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.broken = True
        # Whatever is still buffered would raise again when the interpreter flushes stdout at
        # exit ("Exception ignored ... BrokenPipeError"): point the descriptor at /dev/null.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
