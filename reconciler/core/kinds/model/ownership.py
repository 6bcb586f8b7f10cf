"""Whose is a live deployment: not a team model (`/model/new` is refused to anyone but a
proxy admin unless model_info.team_id names a team the caller administers). Pure."""

from __future__ import annotations

from typing import Any

from reconciler.core.engine.live import LiveState
from reconciler.core.engine.markers import MARKER_FIELD
from reconciler.core.engine.ownership import claims_marker, vet
from reconciler.core.kinds.model.live import models_of
from reconciler.core.masking import printable


def model_claim(row: dict[str, Any]) -> str | None:
    """Team admins may create team models (model_info.team_id); only admins others."""
    info = row.get("model_info")
    if not isinstance(info, dict) or not claims_marker(info.get(MARKER_FIELD)):
        return None
    team = info.get("team_id")
    return f"a model of team {team!r}, which a team admin may create" if team else None


def vet_models(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return vet(rows, model_claim)


def claim_warnings(live: LiveState) -> list[str]:
    return [f"model {printable(m.id)!r} {m.marker}; left alone"
            for m in models_of(live) if m.claim]
