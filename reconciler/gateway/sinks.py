"""Where a new key's raw secret goes, the one time it exists: a 0600 file or a command's stdin.

Guarantees: the file sink writes only to a regular file the user owns and nobody else can
read (a symlink, a device, a FIFO, a hard-linked or group/world-readable file is refused,
checked on the open descriptor), or creates it 0600 in one step. A record is written whole or
not at all: a write that fails part-way is cut back off, and a partial last line left by a
crash (a full disk, kill -9 mid-write) is removed before the next record, with a notice. Such
a line's key was never created: apply creates a key only after its record is whole on disk.
The command sink's child sees
a minimal environment (never LITELLM_* nor the admin key) and runs in its own process group,
killed whole when it overruns its time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from reconciler.core.errors import SecretSinkError
from reconciler.core.masking import scrub

SINK_COMMAND_TIMEOUT = 60.0
# What a secrets command may see of our environment; RECONCILER_* carries its own settings.
_PASSED_ENV = ("PATH", "HOME", "LANG")
_PASSED_PREFIX = "RECONCILER_"


class SecretSink(Protocol):
    def check(self) -> None:
        """Raise SecretSinkError now if deliver() would certainly refuse (before any key)."""

    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        """Store the secret or raise SecretSinkError (whose text never holds the key)."""


class FileSink:
    """Appends one JSON line per key to a file only its owner can read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []  # repairs made, for the caller to show

    def check(self) -> None:
        try:
            fd = self._open_existing()
        except FileNotFoundError:
            if not self.path.parent.is_dir():
                raise self._error("No such file or directory") from None
            return
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from None
        try:
            self._repair_tail(fd)
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from None
        finally:
            os.close(fd)

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
            fd = self._open()
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from None
        try:
            self._append(fd, (line + "\n").encode("utf-8"))
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from None
        finally:
            os.close(fd)

    def _append(self, fd: int, record: bytes) -> None:
        """The whole record, synced; on any failure the file is cut back to where it was."""
        start = self._repair_tail(fd)
        try:
            done = 0
            while done < len(record):
                done += os.write(fd, record[done:])
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
                os.fsync(fd)
            raise

    def _repair_tail(self, fd: int) -> int:
        """Cut a partial last line (no newline at the end) off; return the file's size."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return size
        keep = size
        while keep > 0:
            chunk = os.pread(fd, min(4096, keep), max(0, keep - 4096))
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = max(0, keep - len(chunk)) + cut + 1
                break
            keep = max(0, keep - len(chunk))
        os.ftruncate(fd, keep)
        os.fsync(fd)
        self.notices.append(
            f"secrets file {self.path}: removed a partial last record ({size - keep} bytes, "
            "a write cut off before its key was created); no key holds that secret")
        return keep

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            # Created here: 0600 from the first byte, and O_EXCL means nobody slipped a file in.
            return os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._open_existing()

    def _open_existing(self) -> int:
        # O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a FIFO from hanging the open. What
        # the path is gets checked on the descriptor, so it cannot be swapped in between.
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(self.path, flags)
        except OSError as exc:
            if os.path.islink(self.path):
                raise self._error("it is a symbolic link; give the real file") from None
            raise exc
        problem = _unsafe(os.fstat(fd))
        if problem:
            os.close(fd)
            raise self._error(problem)
        os.set_blocking(fd, True)
        return fd

    def _error(self, why: str) -> SecretSinkError:
        return SecretSinkError(f"cannot write secrets file {self.path}: {why}")


def _unsafe(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    if info.st_uid != os.geteuid():
        return "it belongs to another user"
    if info.st_nlink != 1:
        return "it has other hard links"
    if stat.S_IMODE(info.st_mode) & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        return f"others can read it (mode {mode:04o}); chmod 600 it or choose a new file"
    return None


class CommandSink:
    """Runs a shell command per key: the key on stdin, the agent in RECONCILER_AGENT."""

    def __init__(self, command: str, *, withhold: tuple[str, ...] = ()) -> None:
        self.command = command
        self.withhold = tuple(v for v in withhold if v)

    def check(self) -> None:
        return None  # a command can only be judged by running it

    def environment(self, agent: str, token: str) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name in _PASSED_ENV or name.startswith(_PASSED_PREFIX)
        }
        env = {k: v for k, v in env.items() if not any(s in v for s in self.withhold)}
        return {**env, "RECONCILER_AGENT": agent, "RECONCILER_KEY_SHA256": token}

    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        proc = subprocess.Popen(
            self.command,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(agent, token),
            start_new_session=True,  # its own process group, so a timeout kills all of it
        )
        try:
            stdout, stderr = proc.communicate(raw_key, timeout=SINK_COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise SecretSinkError(
                f"--secrets-cmd took longer than {SINK_COMMAND_TIMEOUT:g}s; it was killed"
            ) from None
        if proc.returncode != 0:
            said = scrub((stderr or stdout).strip().replace(raw_key, "sk-..."))
            raise SecretSinkError(
                f"--secrets-cmd exited {proc.returncode}" + (f": {said[-300:]}" if said else "")
            )


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    # A grandchild that left the group may still hold the pipes; do not wait for it forever.
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=5)
