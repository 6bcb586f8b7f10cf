"""The one thread pool: a bounded number of gateway calls in flight (httpx.Client is thread-safe).

Page reads use `map`; apply phases use `run_bounded`, which never has more than `parallelism`
calls started, so when it stops (a hard failure, Ctrl-C) every item is exactly one of: done,
failed, or never started. Results are handed back on the calling thread, so output stays in
one place and in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

I = TypeVar("I")  # noqa: E741 - the conventional name for "item"
R = TypeVar("R")

DEFAULT_PARALLELISM = 8


class Pool:
    def __init__(self, parallelism: int = DEFAULT_PARALLELISM) -> None:
        self.parallelism = max(1, parallelism)
        self._executor = ThreadPoolExecutor(self.parallelism, thread_name_prefix="reconciler")

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def submit(self, fn: Callable[[], R]) -> Future[R]:
        """fn() on the pool, e.g. one read alongside a paged one."""
        return self._executor.submit(fn)

    def map(self, fn: Callable[[I], R], items: Iterable[I]) -> list[R]:
        """fn over items, `parallelism` at a time, results in input order; first error raises."""
        return list(self._executor.map(fn, items))

    def run_bounded(
        self,
        items: Sequence[I],
        fn: Callable[[I], R],
        *,
        stop: threading.Event,
        on_result: Callable[[int, R], None],
        on_abandoned: Callable[[int], None],
        on_interrupt: Callable[[], None] = lambda: None,
    ) -> bool:
        """Start fn(item) while `stop` is clear, at most `parallelism` at once; wait for every
        started call. on_result(index, result) runs here for each finished one. Items never
        started get no result. A first Ctrl-C stops new calls and waits; a second one stops
        waiting and hands the calls still in flight to on_abandoned. Returns True on Ctrl-C.

        Each worker takes the next item itself as soon as its call ends: no round trip
        through this thread (two thread wake-ups) between one call and the next."""
        feed = _Feed(len(items), stop)
        finished: queue.SimpleQueue[tuple[int, Any, bool] | None] = queue.SimpleQueue()

        def worker() -> None:
            while (index := feed.take()) is not None:
                try:
                    finished.put((index, fn(items[index]), False))
                except BaseException as exc:  # Ctrl-C raised inside the call (tests do this)
                    stop.set()  # what this thread does next: start nothing more
                    finished.put((index, exc, True))
            finished.put(None)

        workers = min(self.parallelism, len(items))
        for _ in range(workers):
            self._executor.submit(worker)
        return self._collect(feed, finished, workers, stop, on_result, on_abandoned,
                             on_interrupt)

    @staticmethod
    def _collect(
        feed: _Feed,
        finished: queue.SimpleQueue[tuple[int, Any, bool] | None],
        workers: int,
        stop: threading.Event,
        on_result: Callable[[int, Any], None],
        on_abandoned: Callable[[int], None],
        on_interrupt: Callable[[], None],
    ) -> bool:
        """Hand each result to on_result until every worker is done; Ctrl-C as run_bounded."""
        interrupted = False
        while workers:
            try:
                entry = finished.get()
            except KeyboardInterrupt:
                if interrupted:
                    for index in feed.in_flight():
                        on_abandoned(index)
                    return True
                interrupted = True
                stop.set()
                on_interrupt()
                continue
            if entry is None:
                workers -= 1
                continue
            index, outcome, raised = entry
            feed.done(index)
            if not raised:
                on_result(index, outcome)
            elif isinstance(outcome, KeyboardInterrupt):
                interrupted = True
                on_interrupt()
                on_abandoned(index)
            else:
                raise outcome
        return interrupted


class _Feed:
    """The next item to start, unless `stop` is set; and which ones are still running."""

    def __init__(self, count: int, stop: threading.Event) -> None:
        self._count, self._stop = count, stop
        self._next = 0
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or self._next >= self._count:
                return None
            self._next += 1
            self._running.add(self._next - 1)
            return self._next - 1

    def done(self, index: int) -> None:
        with self._lock:
            self._running.discard(index)

    def in_flight(self) -> list[int]:
        with self._lock:
            return sorted(self._running)
