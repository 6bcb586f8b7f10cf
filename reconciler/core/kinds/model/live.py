"""A deployment as read from /model/info, normalised for diffing. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD, read_marker
from reconciler.core.engine.ownership import claim_of, claimed

KIND = "model"
# model_info record of what the tool sent, because /model/info hides secret params.
MODEL_RECORD_FIELD = "reconciler"


@dataclass(frozen=True)
class LiveModel:
    id: str
    model_name: str
    litellm_params: dict[str, Any]
    model_info: dict[str, Any]
    db_model: bool
    claim: str | None = None

    @property
    def marker(self) -> str | None:
        found = read_marker(self.model_info.get(MARKER_FIELD)) if self.db_model else None
        return claimed(found, self.claim)

    @property
    def record(self) -> dict[str, Any]:
        """What the tool last sent for this model (params incl. env references, info keys)."""
        value = self.model_info.get(MODEL_RECORD_FIELD)
        return value if isinstance(value, dict) else {}


def parse_model(row: dict[str, Any]) -> LiveModel:
    """A /model/info row -> LiveModel."""
    info = dict(row.get("model_info") or {})
    return LiveModel(
        id=str(info.get("id")),
        model_name=str(row.get("model_name")),
        litellm_params=dict(row.get("litellm_params") or {}),
        model_info=info,
        db_model=info.get("db_model") is True,
        claim=claim_of(row),
    )


def parse_models(rows: list[dict[str, Any]]) -> tuple[LiveModel, ...]:
    # /model/info also shows alias and wildcard rows that are not deployments; they have no id.
    # A router_settings.model_group_alias adds one more row per aliased deployment, under the
    # alias and with the deployment's own id, after the deployment's row (LiteLLM 1.108.7):
    # the first row of an id is the deployment.
    first: dict[str, LiveModel] = {}
    for model in (parse_model(r) for r in rows):
        if model.id != "None":
            first.setdefault(model.id, model)
    return tuple(first.values())


def models_of(live: LiveState) -> tuple[LiveModel, ...]:
    return tuple(live.part(KIND))


def fingerprint(models: tuple[LiveModel, ...]) -> Any:
    return sorted(
        [m.id, m.model_name, m.litellm_params, m.model_info, m.db_model] for m in models
    )
