"""Model deployments on the gateway: the admin-API calls, how a plan reads them, how apply
writes them (a setting removed means a re-create under the same id)."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.engine.markers import MARKER_FIELD
from reconciler.core.errors import GatewayHTTPError
from reconciler.core.kinds.model.live import MODEL_RECORD_FIELD
from reconciler.core.kinds.model.ownership import vet_models
from reconciler.core.kinds.model.spec import needs_recreate
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient


class ModelCalls(BaseClient):
    def list_models(self) -> list[dict[str, Any]]:
        body = self._read("GET", "/model/info")
        return [m for m in body.get("data", []) if isinstance(m, dict)]

    def model_by_id(self, model_id: str) -> dict[str, Any] | None:
        try:
            body = self._read("GET", "/model/info", params={"litellm_model_id": model_id})
        except GatewayHTTPError as exc:
            if exc.status in (400, 404) and "not found" in exc.detail.lower():
                return None
            raise
        found = body.get("data") if isinstance(body, dict) else None
        rows = [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []
        return rows[0] if rows else None

    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        model_id = str((body.get("model_info") or {}).get("id") or "")

        def created() -> dict[str, Any] | None:
            return self.model_by_id(model_id) if model_id else None

        return dict(
            self.retry.call(lambda: self._call("POST", "/model/new", json=body), verify=created)
        )

    def update_model(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("PATCH", f"/model/{model_id}/update", json=body))

    def delete_model(self, model_id: str) -> dict[str, Any]:
        def gone() -> dict[str, Any] | None:
            return None if self.model_by_id(model_id) else {"deleted": model_id}

        return dict(
            self.retry.call(
                lambda: self._call("POST", "/model/delete", json={"id": model_id}), verify=gone
            )
        )


def read(client: ModelCalls) -> list[dict[str, Any]]:
    return vet_models(client.list_models())


class ModelWriter:
    def __init__(self, client: ModelCalls, sink: SecretSink | None) -> None:
        self.client = client

    def create(self, change: Change) -> str:
        self.client.create_model(change.after)
        return "created"

    def update(self, change: Change) -> str:
        spec = change.spec or {}
        if needs_recreate(change.after):
            self.client.delete_model(change.target)
            self.client.create_model(spec)
            return "re-created"
        self._patch_model(change, spec)
        return "updated"

    def adopt(self, change: Change) -> str:
        # Never re-created: adoption must keep the deployment (and its hidden secret) as it is.
        self._patch_model(change, change.spec or {})
        return "adopted (marker stamped)"

    def _patch_model(self, change: Change, spec: dict[str, Any]) -> None:
        info = spec.get("model_info", {})
        body: dict[str, Any] = {
            # PATCH merges model_info key by key; without "id" LiteLLM would invent one.
            "model_info": {
                **change.after.get("model_info", {}),
                "id": change.target,
                MARKER_FIELD: info.get(MARKER_FIELD),
                MODEL_RECORD_FIELD: info.get(MODEL_RECORD_FIELD),
            },
        }
        if "litellm_params" in change.after:
            body["litellm_params"] = change.after["litellm_params"]
        if "model_name" in change.after:
            body["model_name"] = change.after["model_name"]
        self.client.update_model(change.target, body)

    def delete(self, change: Change) -> str:
        self.client.delete_model(change.target)
        return "deleted"
