"""Shared builders for the unit suite: desired/ sources from fixtures or text, and live rows
shaped like LiteLLM's /key/list (return_full_object=true) and /model/info answers."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from reconciler.core import registry
from reconciler.core.engine.live import LiveState
from reconciler.core.errors import DesiredError
from reconciler.core.input.desired import Estate
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source

FIXTURES = Path(__file__).parent / "fixtures"
MARKER = {"managed_by": "reconciler"}


def fixture_sources(case: str) -> list[Source]:
    """Every YAML file of fixtures/<case>/, named by its path inside the case, sorted."""
    root = FIXTURES / case
    paths = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
    return [Source(p.relative_to(root).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def problems_of(sources: list[Source]) -> list[str]:
    """The `FILE:LINE: field: message` lines load_estate reports (fails if it accepts)."""
    try:
        load_estate(sources)
    except DesiredError as exc:
        return [str(p) for p in exc.problems]
    raise AssertionError("load_estate accepted an invalid estate")


def estate(text: str, name: str = "desired.yaml") -> Estate:
    return load_estate([Source(name, text)])


def token_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def key_row(
    alias: str | None,
    *,
    raw: str | None = None,
    models: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    blocked: bool | None = None,
    **limits: Any,
) -> dict[str, Any]:
    """A /key/list full object (only the fields that matter plus a few server extras)."""
    secret = raw or f"sk-{(alias or 'anon').encode().hex()}XYZ1"
    row: dict[str, Any] = {
        "token": token_of(secret),
        "key_name": f"sk-...{secret[-4:]}",
        "key_alias": alias,
        "spend": 0.0,
        "max_budget": None,
        "budget_duration": None,
        "rpm_limit": None,
        "tpm_limit": None,
        "models": models or [],
        "metadata": metadata if metadata is not None else {},
        "blocked": blocked,
        "expires": None,
        "team_id": None,
        "created_at": "2026-11-25T00:59:51.568000Z",
        # The proxy's record of who made it: the master key's identity, as for every key an
        # admin creates (an internal user's own key names that user).
        "created_by": "default_user_id",
        "updated_by": "default_user_id",
    }
    row.update(limits)
    return row


def managed_key(
    alias: str, owner: str = "sileya", *, applied: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """A key the reconciler created for `alias` (marker + agent + owner metadata); `applied`
    is the record of what the tool last applied (absent on keys from before records)."""
    extra = kwargs.pop("metadata", {})
    metadata = {**extra, "agent": alias, "owner": owner, **MARKER}
    if applied is not None:
        metadata["reconciler_applied"] = applied
    return key_row(alias, metadata=metadata, **kwargs)


# Params the real gateway adds to every deployment it shows (examples/25_model_info.json).
SERVER_DEFAULT_PARAMS = {
    "allow_client_keepalive_override": False,
    "use_in_pass_through": False,
    "use_litellm_proxy": False,
    "use_xai_oauth": False,
    "merge_reasoning_content_in_choices": False,
}


def model_row(
    model_id: str,
    model_name: str,
    params: dict[str, Any],
    *,
    info: dict[str, Any] | None = None,
    db_model: bool = True,
) -> dict[str, Any]:
    """A /model/info row: api_key hidden, server defaults and cost-map info added."""
    shown = {k: v for k, v in params.items() if k != "api_key"}
    return {
        "model_name": model_name,
        "litellm_params": {**SERVER_DEFAULT_PARAMS, **shown},
        "model_info": {
            "id": model_id,
            "db_model": db_model,
            "direct_access": True,
            "access_via_team_ids": [],
            "input_cost_per_token": None,
            "mode": "chat",
            **(info or {}),
        },
    }


def managed_model(
    model_id: str,
    model_name: str,
    params: dict[str, Any],
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A deployment as the reconciler created it: marker plus the record of what it sent."""
    record = {"litellm_params": dict(params), "info_keys": sorted(info or {})}
    return model_row(
        model_id,
        model_name,
        params,
        info={**(info or {}), **MARKER, "reconciler": record},
    )


def parse_live(
    key_rows: list[dict[str, Any]],
    model_rows: list[dict[str, Any]],
    router_settings: dict[str, Any] | None = None,
    read_at: dt.datetime | None = None,
) -> LiveState:
    """The live state of rows as the gateway modules read them (routing only when given)."""
    rows: dict[str, Any] = {"key": key_rows, "model": model_rows}
    if router_settings is not None:
        rows["routing"] = router_settings
    return registry.parse_live(rows, read_at)
