"""Reading desired/ from disk: the only file input of the core, kept apart from the pure loader.

Every entry under desired/ is either read or reported, never skipped in silence: a tree whose
agents file was skipped would plan blocking every agent. Read: `*.yaml` / `*.yml` in any
case, and symlinks to such files inside desired/. Ignored on purpose: dotfiles (`.gitkeep`,
editor swap files) and `*.md` notes. Everything else is a problem: other files, symlinks that
dangle, loop or leave desired/, FIFOs, devices, sockets, unreadable entries. Nothing but a
regular file is ever opened, so a FIFO cannot block the run.

`desired/targets/NAME/` folders hold each target's files (reconciler.core.input.targets): they are
never part of the shared tree, and are read only for that target.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from reconciler.core.errors import DesiredError, Problem
from reconciler.core.input.targets import TARGET_NAME
from reconciler.core.input.yamlsource import MAX_FILE_BYTES, Source

YAML_SUFFIXES = (".yaml", ".yml")
MAX_TREE_BYTES = 8 * MAX_FILE_BYTES
TARGETS = "targets"
_MIB = 1024 * 1024


def read_sources(directory: Path) -> list[Source]:
    """Every YAML file under `directory`, any depth, sorted by path; or every problem found."""
    if not directory.is_dir():
        raise DesiredError([Problem(str(directory), 0, "(directory)", "no such directory")])
    root = directory.resolve()
    problems: list[Problem] = []
    sources: list[Source] = []
    total = 0
    for path, kind in _entries(directory, problems, skip=directory / TARGETS):
        text = _read_entry(path, kind, root, problems)
        if text is None:
            continue
        total += len(text)
        if total > MAX_TREE_BYTES:
            problems.append(_problem(path, f"desired/ is larger than {MAX_TREE_BYTES // _MIB} MiB"))
            break
        sources.append(Source(path, text))
    if problems:
        raise DesiredError(problems)
    return sources


def target_names(directory: Path) -> list[str]:
    """The targets under desired/targets/, sorted; DesiredError for anything else there."""
    folder = directory / TARGETS
    if not folder.is_dir() or folder.is_symlink():
        return []
    names, problems = [], []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.name.lower().endswith(".md"):
            continue
        if not child.is_dir() or child.is_symlink():
            problems.append(_problem(child, "desired/targets/ holds one folder per target only"))
        elif not re.match(TARGET_NAME, child.name):
            problems.append(_problem(child, "a target name is lower-case letters, digits, "
                                     "'_', '.', '-'"))
        else:
            names.append(child.name)
    if problems:
        raise DesiredError(problems)
    return names


def read_target(directory: Path, name: str) -> list[Source]:
    """One target's own files (desired/targets/NAME/), read by the same rules."""
    names = target_names(directory)
    if name not in names:
        known = ", ".join(names) or "none"
        raise DesiredError([Problem(str(directory / TARGETS / name), 0, "(target)",
                                    f"no such target (targets here: {known})")])
    return read_sources(directory / TARGETS / name)


def _entries(
    directory: Path, problems: list[Problem], skip: Path | None = None
) -> list[tuple[str, str]]:
    """Every file-like entry below `directory` (sorted as paths) and its kind (file, symlink,
    other), from the directory listing itself: no symlink is followed, no extra system call
    made. Files are plain strings: a desired/ of one file per agent has thousands of them."""
    found: list[tuple[str, str]] = []
    pending = [directory]
    while pending:
        current = pending.pop()
        # What str(current / name) gives, without building a Path per file.
        prefix = "" if str(current) == "." else os.path.join(str(current), "")
        try:
            with os.scandir(current) as listing:
                children = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            problems.append(_problem(current, f"cannot list this folder: {exc.strerror}"))
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_dir(follow_symlinks=False):
                if Path(child.path) != skip:
                    pending.append(Path(child.path))
            elif not child.name.lower().endswith(".md"):
                found.append((prefix + child.name, _kind(child)))
    # The order of Path objects (part by part), e.g. a/x.yaml before a-b.yaml.
    return sorted(found, key=lambda entry: entry[0].split(os.sep))


def _kind(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return "symlink"
    return "file" if entry.is_file(follow_symlinks=False) else "other"


def _read_entry(path: str, kind: str, root: Path, problems: list[Problem]) -> str | None:
    reason = _refusal(path, kind, root)
    if reason is not None:
        problems.append(_problem(path, reason))
        return None
    try:
        return _read_regular(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(_problem(path, f"cannot read: {detail}"))
        return None


def _refusal(path: str, kind: str, root: Path) -> str | None:
    """Why this entry is not read, or None when it is a YAML file to read."""
    if not os.path.basename(path).lower().endswith(YAML_SUFFIXES):
        return "not a YAML file: desired/ holds *.yaml / *.yml files only (and *.md notes)"
    if kind == "file":
        return None  # _read_regular checks again on the open file
    if kind == "symlink":
        try:
            target = Path(path).resolve(strict=True)
        except FileNotFoundError:
            return "symlink to nothing (dangling)"
        except (RuntimeError, OSError) as exc:  # a loop
            return f"symlink cannot be followed: {getattr(exc, 'strerror', None) or exc}"
        if not target.is_relative_to(root):
            return f"symlink leads outside desired/ (to {target})"
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device, socket or folder): it is never opened"
    return None


def _read_regular(path: str) -> str:
    # O_NONBLOCK: should the entry have become a FIFO since it was checked, open still returns.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        # Sized by the file, not by the limit: a 10 MiB buffer per file is slow to allocate.
        chunks = [os.read(fd, min(info.st_size, MAX_FILE_BYTES) + 1)]
        size = len(chunks[0])
        while chunks[-1] and size <= MAX_FILE_BYTES:  # the file grew since fstat
            chunks.append(os.read(fd, _MIB))
            size += len(chunks[-1])
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES // _MIB} MiB")
    return b"".join(chunks).decode("utf-8")


def _problem(path: Path | str, message: str) -> Problem:
    return Problem(str(path), 1, "(file)", message)
