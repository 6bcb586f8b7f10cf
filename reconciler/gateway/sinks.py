"""Where a new key's raw secret goes, the one time it exists: a 0600 file or a command's stdin."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from reconciler.core.errors import SecretSinkError
from reconciler.core.masking import scrub

SINK_COMMAND_TIMEOUT = 60.0


class SecretSink(Protocol):
    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        """Store the secret or raise SecretSinkError (whose text never holds the key)."""


class FileSink:
    """Appends one JSON line per key to a file only its owner can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        line = json.dumps(
            {
                "agent": agent,
                "key_alias": agent,
                "key": raw_key,
                "key_sha256": token,
                "created_at": datetime.now(timezone.utc).isoformat(),
            },
            ensure_ascii=False,
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            # An existing file may have been created with looser rights.
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise SecretSinkError(
                f"cannot write secrets file {self.path}: {exc.strerror}"
            ) from None


class CommandSink:
    """Runs a shell command per key: the key on stdin, the agent in RECONCILER_AGENT."""

    def __init__(self, command: str) -> None:
        self.command = command

    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        env = {**os.environ, "RECONCILER_AGENT": agent, "RECONCILER_KEY_SHA256": token}
        try:
            result = subprocess.run(
                self.command,
                shell=True,
                input=raw_key,
                text=True,
                env=env,
                capture_output=True,
                timeout=SINK_COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SecretSinkError(
                f"--secrets-cmd took longer than {SINK_COMMAND_TIMEOUT:.0f}s"
            ) from None
        if result.returncode != 0:
            said = scrub((result.stderr or result.stdout).strip().replace(raw_key, "sk-..."))
            raise SecretSinkError(
                f"--secrets-cmd exited {result.returncode}" + (f": {said[-300:]}" if said else "")
            )
