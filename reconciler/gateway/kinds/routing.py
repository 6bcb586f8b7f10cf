"""Routing on the gateway: the router settings' fallbacks, read and written whole."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.changes import Change
from reconciler.core.kinds.routing.live import RECORD_KEY
from reconciler.gateway.kinds.routing_record import read_record, write_record
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient


class RoutingCalls(BaseClient):
    def router_settings(self) -> dict[str, Any]:
        """The live router's settings (fallbacks included), as the proxy reports them."""
        body = self._read("GET", "/get/config/callbacks")
        return dict(body.get("router_settings") or {})

    def update_router_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/config/update", json={"router_settings": settings}))


def read(client: Any) -> dict[str, Any]:
    """The router settings, with the tool's record of what it last applied (for drift)."""
    # In this thread (the read itself runs on the pool: a nested submit could wait on it).
    return {**client.router_settings(), RECORD_KEY: read_record(client)}


class RoutingWriter:
    def __init__(self, client: Any, sink: SecretSink | None) -> None:
        self.client = client

    def update(self, change: Change) -> str:
        settings = (change.spec or {}).get("router_settings")
        if settings is not None:
            # Only the declared settings: /config/update merges them into the rest.
            self.client.update_router_settings(settings)
            return "router settings set: " + ", ".join(sorted(change.after))
        fallbacks = (change.spec or {}).get("fallbacks", [])
        # The whole list is sent: /config/update replaces it, and [] clears it.
        self.client.update_router_settings({"fallbacks": fallbacks})
        record = (change.spec or {}).get("record")
        if isinstance(record, str):
            # After the write: a record without the fallbacks would call them drift.
            write_record(self.client, record)
        return f"{len(fallbacks)} fallback group(s) set"
