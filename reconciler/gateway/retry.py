"""Retries for gateway calls whose failure may be passing: capped backoff, jitter, a budget.

Written by hand (about 80 lines) rather than with tenacity or stamina: the one rule that
matters here, "look the write up before sending it again", is a callback either way, and the
injectable clock and sleep keep the unit tests instant without a dependency.

A retried write must not run twice. Callers pass `verify`: before every attempt after the
first it asks the gateway whether the write already happened (a key by its token, a model by
its id) and, if so, returns that instead of writing again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.core.errors import (
    GatewayError,
    GatewayHTTPError,
    GatewayTimeout,
    GatewayUnreachable,
)

T = TypeVar("T")

# 529 is Anthropic's "overloaded", which LiteLLM passes through from upstreams.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})


def is_retryable(exc: GatewayError) -> bool:
    """Connection drops, timeouts and overload answers; never any other 4xx."""
    if isinstance(exc, GatewayUnreachable):
        return not exc.lasting
    if isinstance(exc, GatewayTimeout):
        return True
    return isinstance(exc, GatewayHTTPError) and exc.status in RETRY_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    base: float = 0.5  # seconds before the first retry, doubled each time
    cap: float = 10.0  # no single wait is longer (a Retry-After may be, within the budget)
    budget: float = 60.0  # no retry starts once this much time has passed since the first try
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)
    # Set on Ctrl-C: calls in flight get no further retry, so the tool can stop promptly.
    halt: threading.Event = field(default_factory=threading.Event, compare=False)
    # Told (attempt about to start, attempts in all, wait, why) before each wait, so a person
    # sees "retrying (2/6)" rather than seconds of silence.
    notify: Callable[[int, int, float, GatewayError], None] | None = field(
        default=None, compare=False)

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Wait before retry number `retry` (1-based): half fixed, half random ("equal
        jitter"), so parallel workers that failed together do not come back together."""
        backoff = min(self.cap, self.base * 2 ** (retry - 1))
        jittered = backoff / 2 + backoff / 2 * self.rand()
        return max(jittered, retry_after or 0.0)

    def call(self, fn: Callable[[], T], *, verify: Callable[[], T | None] | None = None) -> T:
        """fn() until it succeeds, fails for good, or the attempts or the budget run out."""
        start = self.clock()
        retry = 0
        while True:
            try:
                if retry and verify is not None:
                    done = verify()
                    if done is not None:
                        return done
                return fn()
            except GatewayError as exc:
                if not is_retryable(exc):
                    # A definite refusal after an unclear attempt can mean that attempt worked
                    # (e.g. "alias already exists" for the very key that attempt created).
                    done = verify() if retry and verify is not None else None
                    if done is not None:
                        return done
                    raise
                retry += 1
                wait = self.delay(retry, getattr(exc, "retry_after", None))
                out_of_time = self.clock() - start + wait > self.budget
                if retry >= self.attempts or out_of_time or self.halt.is_set():
                    raise
                if self.notify is not None:
                    self.notify(retry + 1, self.attempts, wait, exc)
                self.sleep(wait)


NO_RETRY = RetryPolicy(attempts=1)
