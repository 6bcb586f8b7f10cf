"""Scheduled failures for chosen requests: the sandbox's inject_fault and the tests' forwarding
proxy play failing gateways with the same rules."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Fault:
    method: str
    path: str
    status: int
    times: int
    skip: int
    delay: float
    # The forwarding test proxy also plays: the gateway commits and then the answer is lost
    # (after_commit), a connection dropped with no answer (drop), and Retry-After.
    after_commit: bool = False
    drop: bool = False
    retry_after: float | None = None
    body_contains: str | None = None  # only requests whose body holds this text


class FaultSchedule:
    """Thread-safe list of faults; each matching request consumes one pass or one failure."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, *, method: str, path: str, status: int = 500, times: int = 1, skip: int = 0,
            delay: float = 0.0, after_commit: bool = False, drop: bool = False,
            retry_after: float | None = None, body_contains: str | None = None) -> None:
        with self._lock:
            self._faults.append(Fault(method.upper(), path, status, times, skip, delay,
                                      after_commit, drop, retry_after, body_contains))

    def take(self, method: str, path: str, body: bytes = b"") -> Fault | None:
        """The fault this request must answer with, or None to serve it normally."""
        with self._lock:
            for fault in self._faults:
                if (fault.method, fault.path) != (method, path) or fault.times <= 0:
                    continue
                if fault.body_contains and fault.body_contains.encode() not in body:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None
