"""What an apply leaves behind: the report of this run, and one line in an append-only log.

Both say when, against which gateway (its address without credentials), with which tool
version and from which commit of desired/, and what happened to each change. Writing them is
bookkeeping: when a file cannot be written the operator is warned and the apply's exit code
stays what the gateway made it, since the changes are already live either way.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.core.address import redact_url
from reconciler.core.masking import scrub
from reconciler.gateway.executor import ApplyReport

DEFAULT_AUDIT_LOG = Path(".reconciler/audit.jsonl")
_GIT_TIMEOUT = 10.0
# Bumped when a field is removed or changes meaning (schema/outputs/apply-report.schema.json).
REPORT_FORMAT_VERSION = 2  # 2: each step names its address (kind.name)


def run_context(
    base_url: str | None, desired: Path | None, planfile: Path | None
) -> dict[str, Any]:
    """Who applied what, when and where: everything but the changes."""
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "gateway": redact_url(base_url or ""),
        "tool_version": __version__,
        "desired": str(desired) if desired else None,
        "commit": git_commit(desired or Path.cwd()),
        "plan_file": str(planfile) if planfile else None,
        # In CI the actor is the one who merged; locally, the account that ran the command.
        "actor": os.environ.get("GITHUB_ACTOR") or _user(),
    }


def git_commit(where: Path) -> str | None:
    """HEAD of the git checkout holding `where`, with "-dirty" when desired/ has local edits."""
    directory = where if where.is_dir() else where.parent
    head = _git(directory, "rev-parse", "HEAD")
    if head is None:
        return None
    dirty = _git(directory, "status", "--porcelain", "--", ".")
    return head + ("-dirty" if dirty else "")


def record_apply(
    report: ApplyReport, context: dict[str, Any], report_path: Path, audit_log: Path | None
) -> None:
    """Write the report and append the audit line; warn (never raise) when either fails."""
    data = {"format_version": REPORT_FORMAT_VERSION, **context, **report.data}
    text = scrub(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    _best_effort(report_path, "report", lambda: report_path.write_text(text, encoding="utf-8"))
    if audit_log is not None:
        line = scrub(json.dumps(data, ensure_ascii=False, separators=(",", ":"))) + "\n"
        _best_effort(audit_log, "audit log", lambda: _append(audit_log, line))


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: one write per run, so concurrent or interrupted runs never interleave a line.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _best_effort(path: Path, what: str, write: Callable[[], object]) -> None:
    try:
        write()
    except OSError as exc:
        print(
            f"warning: cannot write the {what} {path}: {exc.strerror or exc}; "
            "the changes above were applied all the same",
            file=sys.stderr,
        )


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
