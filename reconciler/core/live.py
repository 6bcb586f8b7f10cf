"""The live gateway, as read through the admin API, normalised for diffing. Pure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.ownership import CLAIM_ROW_FIELD

# Written into every key's metadata and every model's model_info the tool creates: the one
# thing that makes a live object "managed". Without it the tool never modifies the object.
MARKER_FIELD = "managed_by"
MARKER_VALUE = "reconciler"
# Set on a key whose secret could not be handed to the sink; such a key is replaced.
UNDELIVERED_FIELD = "reconciler_secret_undelivered"
# model_info record of what the tool sent, because /model/info hides secret params.
MODEL_RECORD_FIELD = "reconciler"
# Key metadata: what the tool last applied (content hash, blocked, protected), so a plan can
# tell drift (the gateway moved) from a desired change, and a hand-made block from its own.
APPLIED_FIELD = "reconciler_applied"
# Key metadata: why and when `reconciler block` blocked the key (an incident hold).
HOLD_FIELD = "reconciler_hold"
# Key metadata: the lifetime desired/ declared (the live key shows only `expires`, a moment).
DURATION_FIELD = "key_duration"
# Key metadata: the rotation serial the key was created for (an agent's `rotation`).
ROTATION_FIELD = "reconciler_rotation"
# Key metadata on a rotated-out key: whose it was and which rotation replaced it. Such a key
# keeps working until it expires (its grace period), then the tool blocks it.
ROTATED_FIELD = "reconciler_rotated"


def marker_for(scope: str) -> str:
    """The marker value for a scope; the default scope keeps the plain marker."""
    return MARKER_VALUE if scope == "default" else f"{MARKER_VALUE}/{scope}"


def _marker(value: object) -> str | None:
    if value == MARKER_VALUE or (isinstance(value, str) and value.startswith(MARKER_VALUE + "/")):
        return value
    return None


def _claimed(marker: str | None, claim: str | None) -> str | None:
    return f"claims {marker}, {claim}: never trusted" if marker and claim else marker


KEY_LIMIT_FIELDS = ("max_budget", "budget_duration", "rpm_limit", "tpm_limit")


@dataclass(frozen=True)
class LiveKey:
    token: str  # sha256 of the raw key: the key's identity, not a secret
    alias: str | None
    key_name: str  # LiteLLM's own abbreviation, "sk-...a1b2"
    models: tuple[str, ...]
    blocked: bool
    limits: dict[str, Any]
    metadata: dict[str, Any]
    expires: dt.datetime | None = None
    # Why the marker on this key is not proven the tool's (see ownership.py), or None.
    claim: str | None = None

    @property
    def marker(self) -> str | None:
        """The reconciler marker (any scope) or None for a key the tool did not create. A
        claimed marker is no scope's: it reads as the claim, so nothing treats it as its own."""
        return _claimed(_marker(self.metadata.get(MARKER_FIELD)), self.claim)

    @property
    def rotation(self) -> int:
        """The rotation serial the key was made for; 0 before any rotation."""
        value = self.metadata.get(ROTATION_FIELD)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def rotated(self) -> dict[str, Any] | None:
        """The rotated-out record (agent, serial, next, grace), or None for a current key."""
        value = self.metadata.get(ROTATED_FIELD)
        return value if isinstance(value, dict) else None

    @property
    def secret_undelivered(self) -> bool:
        return bool(self.metadata.get(UNDELIVERED_FIELD))

    @property
    def applied(self) -> dict[str, Any] | None:
        """What the tool last applied to this key, or None (not recorded: unknown)."""
        value = self.metadata.get(APPLIED_FIELD)
        return value if isinstance(value, dict) else None

    @property
    def hold(self) -> dict[str, Any]:
        value = self.metadata.get(HOLD_FIELD)
        return value if isinstance(value, dict) else {}


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
        found = _marker(self.model_info.get(MARKER_FIELD)) if self.db_model else None
        return _claimed(found, self.claim)

    @property
    def record(self) -> dict[str, Any]:
        """What the tool last sent for this model (params incl. env references, info keys)."""
        value = self.model_info.get(MODEL_RECORD_FIELD)
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class LiveState:
    keys: tuple[LiveKey, ...] = ()
    models: tuple[LiveModel, ...] = field(default=())
    # None when not read: desired/ does not declare fallbacks, so the tool leaves them alone.
    fallbacks: dict[str, list[str]] | None = None
    # When the keys were read: a rotated-out key whose expiry is past by then is blocked.
    # Not part of the fingerprint: the clock moving is not the gateway changing.
    read_at: dt.datetime | None = None

    def fingerprint(self) -> str:
        """Changes whenever anything the tool diffs changes; ties a saved plan to what it saw."""
        data = {
            "keys": sorted(
                [k.token, k.alias, sorted(k.models), k.blocked, k.limits, k.metadata]
                for k in self.keys
            ),
            "models": sorted(
                [m.id, m.model_name, m.litellm_params, m.model_info, m.db_model]
                for m in self.models
            ),
            "fallbacks": self.fallbacks,
        }
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_key(row: dict[str, Any]) -> LiveKey:
    """A /key/list full object -> LiveKey, with server-side defaults folded away."""
    metadata = row.get("metadata") or {}
    return LiveKey(
        token=str(row["token"]),
        alias=row.get("key_alias"),
        key_name=str(row.get("key_name") or "sk-..."),
        models=tuple(row.get("models") or ()),
        # null (never set) and false (unblocked) both mean "not blocked".
        blocked=row.get("blocked") is True,
        limits={name: _number(row.get(name)) for name in KEY_LIMIT_FIELDS},
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        expires=parse_moment(row.get("expires")),
        claim=_claim_of(row),
    )


def parse_model(row: dict[str, Any]) -> LiveModel:
    """A /model/info row -> LiveModel."""
    info = dict(row.get("model_info") or {})
    return LiveModel(
        id=str(info.get("id")),
        model_name=str(row.get("model_name")),
        litellm_params=dict(row.get("litellm_params") or {}),
        model_info=info,
        db_model=info.get("db_model") is True,
        claim=_claim_of(row),
    )


def _claim_of(row: dict[str, Any]) -> str | None:
    value = row.get(CLAIM_ROW_FIELD)
    return value if isinstance(value, str) else None


def parse_moment(value: object) -> dt.datetime | None:
    """A LiteLLM timestamp (ISO 8601, with or without zone: UTC then) or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def parse_live(
    key_rows: list[dict[str, Any]],
    model_rows: list[dict[str, Any]],
    router_settings: dict[str, Any] | None = None,
    read_at: dt.datetime | None = None,
) -> LiveState:
    models = [parse_model(r) for r in model_rows]
    # /model/info also shows alias and wildcard rows that are not deployments; they have no id.
    return LiveState(
        keys=tuple(parse_key(r) for r in key_rows),
        models=tuple(m for m in models if m.id != "None"),
        fallbacks=None if router_settings is None else parse_fallbacks(router_settings),
        read_at=read_at,
    )


def parse_fallbacks(router_settings: dict[str, Any]) -> dict[str, list[str]]:
    """LiteLLM keeps fallbacks as [{"group": ["next", ...]}, ...]; null means none."""
    merged: dict[str, list[str]] = {}
    for entry in router_settings.get("fallbacks") or []:
        if isinstance(entry, dict):
            merged.update({str(k): list(v or []) for k, v in entry.items()})
    return merged


def _number(value: Any) -> Any:
    # The server stores 5 and 5.0 alike; compare them alike.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
