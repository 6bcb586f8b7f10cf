"""The gateway client: the seam (transport.py) with every kind's admin-API calls.

Each kind's calls live in its own module under gateway/kinds/; a new kind adds its calls class
here. Tests plug an httpx.MockTransport (or a real sandbox on 127.0.0.1) into `transport`.
"""

from __future__ import annotations

from reconciler.gateway.identities import IdentityCalls
from reconciler.gateway.kinds.budget import BudgetCalls
from reconciler.gateway.kinds.key import MAX_KEY_ROWS, PAGE_SIZE, KeyCalls
from reconciler.gateway.kinds.model import ModelCalls
from reconciler.gateway.kinds.routing import RoutingCalls
from reconciler.gateway.kinds.team import TeamCalls
from reconciler.gateway.kinds.user import UserCalls
from reconciler.gateway.observe import MAX_LOG_ROWS, SPEND_LOG_PAGE, ObserveCalls
from reconciler.gateway.replicas import Replicas
from reconciler.gateway.transport import ListChangedError, _tls_context, error_message, retry_after

__all__ = [
    "MAX_KEY_ROWS",
    "MAX_LOG_ROWS",
    "PAGE_SIZE",
    "SPEND_LOG_PAGE",
    "GatewayClient",
    "ListChangedError",
    "_tls_context",
    "error_message",
    "retry_after",
]


class GatewayClient(KeyCalls, ModelCalls, RoutingCalls, TeamCalls, UserCalls, BudgetCalls,
                    ObserveCalls, IdentityCalls):
    """Reads are retried freely; writes are retried only where a retry cannot do the thing
    twice: idempotent ones as they are, creates and deletes after looking the object up.
    `replicas`, when named, are the gateway's replicas beside its base URL (replicas.py)."""

    replicas: Replicas | None = None

    def close(self) -> None:
        if self.replicas is not None:
            self.replicas.close()
        super().close()
