"""The exception tree. Every error the CLI turns into one clear line derives from ReconcilerError.

    ReconcilerError
    ├── DesiredError            desired/ is invalid (every problem found, each with file:line)
    ├── PlanError               no safe plan exists (e.g. an alias taken by an unmanaged key)
    │   ├── UnsafePlanError     the plan crosses a safety threshold; --force passes it
    │   └── StalePlanError      a saved plan is not the plan its desired/ and the gateway
    │                           give now (edited, made elsewhere, or the gateway moved)
    ├── ForbiddenChangeError    a change would break a promise (pinned key, foreign object,
    │                           action and object that disagree); refused at the point of change
    ├── SecretSinkError         the chosen secret sink could not take a new key
    ├── LeaseError              another apply holds the gateway, or this one lost its lease
    └── GatewayError            anything from talking to the gateway (see reconciler.gateway.client)
        ├── GatewayUnreachable  connection refused, DNS, TLS
        ├── GatewayTimeout      no answer in time
        └── GatewayHTTPError    a non-2xx answer: .status, .method, .path, .message
            ├── AuthenticationFailed   401 / 403
            └── NotFound               404

Messages never contain a raw key, URL credentials or terminal-hostile characters: they pass
through `masking.safe_text` where they are built.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.masking import safe_text


class ReconcilerError(Exception):
    """Base of every error the tool reports to the operator."""

    def __init__(self, message: str) -> None:
        # Newlines are the only layout a message may carry (multi-line PlanError lists).
        super().__init__(safe_text(message, keep_newlines=True))


@dataclass(frozen=True)
class Problem:
    """One reason desired/ is invalid, located in a file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class DesiredError(ReconcilerError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field))
        count = len(self.problems)
        super().__init__(f"desired state is invalid ({count} problem{'s' * (count != 1)})")


class PlanError(ReconcilerError):
    pass


class UnsafePlanError(PlanError):
    pass


class StalePlanError(PlanError):
    pass


class ForbiddenChangeError(ReconcilerError):
    pass


class SecretSinkError(ReconcilerError):
    pass


class LeaseError(ReconcilerError):
    pass


class GatewayError(ReconcilerError):
    pass


class GatewayUnreachable(GatewayError):
    def __init__(self, message: str, *, lasting: bool = False) -> None:
        # lasting: retrying cannot help (the name does not resolve, TLS spoken to plain HTTP).
        self.lasting = lasting
        super().__init__(message)


class GatewayTimeout(GatewayError):
    pass


class GatewayHTTPError(GatewayError):
    def __init__(
        self, *, status: int, method: str, path: str, message: str,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after  # seconds the gateway asked us to wait (429/503)
        self.method = method
        self.path = path
        # A server's message is one line; whatever it echoes (names included) stays one line.
        self.detail = safe_text(message)
        super().__init__(f"{method} {path} answered {status}: {self.detail}")


class AuthenticationFailed(GatewayHTTPError):
    pass


class NotFound(GatewayHTTPError):
    pass
