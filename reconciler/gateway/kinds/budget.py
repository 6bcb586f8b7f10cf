"""Budgets on the gateway: the admin-API calls, how a plan reads them, how apply writes them.

The proxy answers an update or a delete of an unknown budget id with 200 and `null`
(recorded: tests/recorded/teams/), so both read the budget back instead of trusting the 200.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.errors import GatewayError
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient


class BudgetCalls(BaseClient):
    def list_budgets(self) -> list[dict[str, Any]]:
        body = self._read("GET", "/budget/list")
        return [b for b in body if isinstance(b, dict)] if isinstance(body, list) else []

    def budget_by_id(self, budget_id: str) -> dict[str, Any] | None:
        body = self._read("POST", "/budget/info", json={"budgets": [budget_id]})
        rows = [b for b in body or [] if isinstance(b, dict) and b.get("budget_id") == budget_id]
        return rows[0] if rows else None

    def create_budget(self, body: dict[str, Any]) -> dict[str, Any]:
        budget_id = str(body["budget_id"])
        return dict(self.retry.call(lambda: self._call("POST", "/budget/new", json=body),
                                    verify=lambda: self.budget_by_id(budget_id)))

    def update_budget(self, budget_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        body = self._read("POST", "/budget/update", json={"budget_id": budget_id, **fields})
        if not isinstance(body, dict):
            raise GatewayError(f"/budget/update: no budget {budget_id!r} on the gateway")
        return body

    def delete_budget(self, budget_id: str) -> None:
        self._read("POST", "/budget/delete", json={"id": budget_id})


def read(client: BudgetCalls) -> list[dict[str, Any]]:
    return client.list_budgets()


class BudgetWriter:
    def __init__(self, client: BudgetCalls, sink: SecretSink | None) -> None:
        self.client = client

    def create(self, change: Change) -> str:
        self.client.create_budget(change.after)
        return "created"

    def update(self, change: Change) -> str:
        # Only the differing fields: the proxy leaves unsent ones alone and unsets a null.
        self.client.update_budget(str(change.ref), change.after)
        return "updated " + ", ".join(sorted(change.after))

    def delete(self, change: Change) -> str:
        self.client.delete_budget(str(change.ref))
        return "deleted"
