"""The one thread pool: a bounded number of gateway calls in flight (httpx.Client is thread-safe).

Page reads use `map`; apply phases use `run_bounded`, which never has more than `parallelism`
calls started, so when it stops (a hard failure, Ctrl-C) every item is exactly one of: done,
failed, or never started. Results are handed back on the calling thread, so output stays in
one place and in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

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
        waiting and hands the calls still in flight to on_abandoned. Returns True on Ctrl-C."""
        running: dict[Future[R], int] = {}
        interrupted = False
        index = 0
        while index < len(items) or running:
            try:
                while index < len(items) and len(running) < self.parallelism and not stop.is_set():
                    running[self._executor.submit(fn, items[index])] = index
                    index += 1
                if stop.is_set():
                    index = len(items)  # start nothing more; finish what is in flight
                if not running:
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                if interrupted:
                    for future_index in running.values():
                        on_abandoned(future_index)
                    return True
                interrupted = True
                stop.set()
                on_interrupt()
                continue
            for future in finished:
                index_done = running.pop(future)
                try:
                    result = future.result()
                except KeyboardInterrupt:  # raised inside the call (tests do this)
                    interrupted = True
                    stop.set()
                    on_interrupt()
                    on_abandoned(index_done)
                    continue
                on_result(index_done, result)
        return interrupted
