"""What the guard checks against: the estate and the live state read at apply time. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.core.input.desired import Estate
from reconciler.core.live import KEY_LIMIT_FIELDS, LiveKey, LiveModel, LiveState, marker_for

# Everything the diff ever writes on a key; anything else (key, key_alias, team_id, ...) is
# refused. A new key field the diff learns must be added here, or the guard refuses it.
KEY_UPDATE_FIELDS = frozenset({"models", "metadata", "duration", *KEY_LIMIT_FIELDS})
KEY_CREATE_FIELDS = KEY_UPDATE_FIELDS | {"key_alias", "blocked"}
MODEL_FIELDS = frozenset({"model_name", "litellm_params", "model_info"})


@dataclass(frozen=True)
class GuardContext:
    marker: str
    pinned_aliases: frozenset[str]
    pinned_tokens: frozenset[str]
    keys: dict[str, LiveKey]  # by token
    by_alias: dict[str | None, list[LiveKey]]
    models: dict[str, LiveModel]  # by id
    # The whole fallback list desired/ declares, as sent; None when desired/ leaves them alone.
    fallbacks: list[dict[str, list[str]]] | None
    # Tokens a rotate_key of this plan has passed: their alias is free for the successor.
    rotating: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, estate: Estate, live: LiveState) -> GuardContext:
        aliases = frozenset(p.alias for p in estate.pinned if p.alias is not None)
        tokens = {p.key_sha256 for p in estate.pinned if p.key_sha256 is not None}
        tokens |= {k.token for k in live.keys if k.alias in aliases}
        fallbacks = None
        if estate.fallbacks is not None:
            fallbacks = [{group: list(targets)} for group, targets in estate.fallbacks.items()]
        by_alias: dict[str | None, list[LiveKey]] = {}
        for key in live.keys:
            by_alias.setdefault(key.alias, []).append(key)
        return cls(
            marker=marker_for(estate.settings.scope),
            pinned_aliases=aliases,
            pinned_tokens=frozenset(tokens),
            keys={k.token: k for k in live.keys},
            by_alias=by_alias,
            models={m.id: m for m in live.models},
            fallbacks=fallbacks,
        )



def owner(marker: str | None) -> str:
    return f"marker {marker}" if marker else "not created by this tool"
