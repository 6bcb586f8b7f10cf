"""Apply's progress: N/M, rate and ETA. A live bar on a terminal; plain lines in CI.

Everything goes to one stream (stdout) and is flushed at once, so piped output keeps the order
it happened in: the plan, then the steps, then the summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from reconciler.core.masking import safe_text
from reconciler.gateway.executor import StepResult, StepStatus

# Up to this many changes every one gets its own line; beyond, only failures do, plus a
# progress line every PLAIN_INTERVAL seconds (a 10,000-key run is not 10,000 lines of log).
EVERY_STEP_UP_TO = 50
PLAIN_INTERVAL = 5.0
BAR_WIDTH = 24
MARKS = {StepStatus.DONE: "ok", StepStatus.FAILED: "FAILED", StepStatus.NOT_ATTEMPTED: "skipped"}


class Progress:
    def __init__(
        self,
        total: int,
        out: TextIO,
        *,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.out, self.live, self.clock = total, out, live, clock
        self.started = clock()
        self.finished = 0
        self.failed = 0
        self._last_plain = self.started
        self._bar_shown = False

    def step(self, result: StepResult) -> None:
        if result.status is StepStatus.NOT_ATTEMPTED:
            return  # counted in the summary; a line each would bury the failure
        self.finished += 1
        self.failed += result.status is StepStatus.FAILED
        if result.status is StepStatus.FAILED or self.total <= EVERY_STEP_UP_TO:
            self._line(self._step_text(result))
        if self.live:
            self._bar()
        elif self.total > EVERY_STEP_UP_TO and (
            self.clock() - self._last_plain >= PLAIN_INTERVAL or self.finished == self.total
        ):
            self._last_plain = self.clock()
            self._line(f"  apply: {self.status_text()}")

    def close(self) -> None:
        if self._bar_shown:
            self.out.write("\r\x1b[2K")
            self._bar_shown = False
        self.out.flush()

    def status_text(self) -> str:
        """"120/1000 (12%), 85.3/s, ETA 10s" from what finished so far."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.finished / elapsed
        left = self.total - self.finished
        eta = f"ETA {_duration(left / rate)}" if rate > 0 and left else f"in {_duration(elapsed)}"
        share = self.finished / self.total if self.total else 1.0
        return f"{self.finished}/{self.total} ({share:.0%}), {rate:.1f}/s, {eta}"

    def pace_text(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        return f"Took {elapsed:.1f}s ({self.finished / elapsed:.1f} changes/s)"

    def _step_text(self, result: StepResult) -> str:
        change = result.change
        text = f"  [{MARKS[result.status]}] {change.action} {change.target}"
        return safe_text(text + (f": {result.message}" if result.message else ""))

    def _line(self, text: str) -> None:
        if self._bar_shown:
            self.out.write("\r\x1b[2K")  # the bar stays below the lines
            self._bar_shown = False
        self.out.write(text + "\n")
        self.out.flush()

    def _bar(self) -> None:
        filled = int(BAR_WIDTH * self.finished / self.total) if self.total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.out.write(f"\r\x1b[2K  [{bar}] {self.status_text()}")
        self.out.flush()
        self._bar_shown = True


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"
