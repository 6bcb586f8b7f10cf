"""What desired/ declares for an agent's key, and for a key no plan may touch."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from reconciler.core.input.names import clean_keys, reserved_alias, reserved_keys
from reconciler.core.input.schema import (
    DURATION_PATTERN,
    MAX_BUDGET,
    SHA256_PATTERN,
    Name,
    Strict,
    check_ignored,
)
from reconciler.core.input.yamlscalars import MAX_INT

# Key fields a team tunes beyond models and limits. A top-level one is owned only where an
# agent declares it (explicit null, [] or {} clear it); undeclared, the gateway's value stays.
KEY_EXTRA_FIELDS = ("soft_budget", "max_parallel_requests", "allowed_routes", "aliases")
# Fields the proxy keeps inside the key's metadata (it moves them there itself): declared here,
# written there. tags and guardrails are Enterprise on the open-source proxy.
KEY_METADATA_FIELDS = ("model_rpm_limit", "model_tpm_limit", "guardrails", "tags")
KEY_ENTERPRISE_FIELDS = ("guardrails", "tags")
KEY_IGNORABLE = frozenset({"models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit",
                           *KEY_EXTRA_FIELDS})


class Agent(Strict):
    """An AI agent and its one virtual key; `name` becomes the key's `key_alias`."""

    name: Name = Field(description="unique agent name; becomes the key's key_alias")
    owner: Name = Field(description="who answers for this agent (a person or team)")
    # An empty list means "every model" to LiteLLM: too dangerous to allow by accident.
    models: list[Name] = Field(
        min_length=1,
        description="model names the key may call (non-empty: LiteLLM reads [] as all models)",
    )
    team: Name | None = Field(
        default=None,
        description="the team (teams: name) the key belongs to; its models must lie within "
        "the team's",
    )
    budget: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="a shared budget (budgets: name) the key draws on",
    )
    user: str | None = Field(
        default=None, min_length=1, max_length=255,
        description="the user (users: id) the key belongs to; its spend counts for them",
    )
    blocked: bool = Field(default=False, description="true: the key is refused by the gateway")
    max_budget: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
        description="spend limit in USD per budget_duration (or for the key's life)",
    )
    budget_duration: str | None = Field(
        default=None, pattern=DURATION_PATTERN,
        description="budget reset period: a number and s, m, h, d, w or mo (e.g. 30d)",
    )
    rpm_limit: int | None = Field(
        default=None, ge=0, le=MAX_INT, description="requests per minute the key may make"
    )
    tpm_limit: int | None = Field(
        default=None, ge=0, le=MAX_INT, description="tokens per minute the key may use"
    )
    # Key lifetime: the key expires this long after it is created (or after the apply that
    # changed it: LiteLLM counts a new duration from now). Absent: never expires.
    duration: str | None = Field(
        default=None, pattern=DURATION_PATTERN,
        description="key lifetime from creation (e.g. 90d); absent: never expires",
    )
    # A serial, not a schedule: a plan stays a function of desired/ and the gateway, and a
    # rotation is a reviewed change like any other.
    rotation: int | None = Field(
        default=None, ge=1, le=MAX_INT,
        description="bump to rotate the key: a new key (secret to the sink first), the old "
        "one kept working for rotation_grace, then blocked",
    )
    rotation_grace: str = Field(
        default="1d", pattern=DURATION_PATTERN,
        description="how long a rotated-out key keeps working (e.g. 1h, 7d)",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="free-form key metadata; the tool adds agent, owner and its marker",
    )
    soft_budget: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
        description="spend in USD past which the gateway alerts (the key is not refused)",
    )
    max_parallel_requests: int | None = Field(
        default=None, ge=0, le=MAX_INT, description="requests the key may have in flight at once"
    )
    model_rpm_limit: dict[Name, Annotated[int, Field(ge=0, le=MAX_INT)]] | None = Field(
        default=None, description="requests per minute per model (models of this agent)"
    )
    model_tpm_limit: dict[Name, Annotated[int, Field(ge=0, le=MAX_INT)]] | None = Field(
        default=None, description="tokens per minute per model (models of this agent)"
    )
    allowed_routes: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(
        default=None,
        description="the proxy routes the key may call (e.g. llm_api_routes); [] lifts it",
    )
    aliases: dict[Name, Name] | None = Field(
        default=None, description="model names the key may ask for, mapped to the model served"
    )
    guardrails: list[Name] | None = Field(
        default=None, description="guardrails (by name) run on the key's requests (Enterprise)"
    )
    tags: list[Name] | None = Field(
        default=None, description="tags for the key's spend and routing (Enterprise)"
    )
    adopt: bool = Field(
        default=False,
        description="take over the unmanaged key that already serves this agent (adopt_key)",
    )
    protected: bool = Field(
        default=False,
        description="never blocked or deleted by the tool; set false and apply first",
    )
    ignore_fields: list[str] = Field(
        default_factory=list,
        description="fields another system owns, never compared or written after creation: "
        "models, max_budget, budget_duration, rpm_limit, tpm_limit, metadata.NAME",
    )

    @field_validator("ignore_fields")
    @classmethod
    def _key_fields(cls, names: list[str]) -> list[str]:
        return check_ignored(names, KEY_IGNORABLE, ("metadata.",))

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        # The tool writes these itself; declaring one would fight every apply.
        # key_duration (fields.DURATION_FIELD) holds the declared `duration`: reserved too, and
        # reported as such rather than as a "literal secret" for the word "key" in its name.
        reserved = reserved_keys(
            metadata, ("managed_by", "agent", "owner", "reconciler_applied", "reconciler_hold",
                       "key_duration")
        )
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return clean_keys(metadata)

    @field_validator("soft_budget")
    @classmethod
    def _own_budget_row(cls, value: float | None, info: ValidationInfo) -> float | None:
        # The proxy keeps a key's soft budget in a budget row of the key's own, which would
        # replace the shared budget (or change it for every key on it).
        if value is not None and info.data.get("budget") is not None:
            raise ValueError("a key on a shared budget takes the soft budget from it: set "
                             "soft_budget on that budget (budgets:), not on the agent")
        return value

    @field_validator("model_rpm_limit", "model_tpm_limit")
    @classmethod
    def _own_models(cls, limits: dict[str, int] | None, info: ValidationInfo) -> Any:
        unknown = sorted(set(limits or {}) - set(info.data.get("models") or ()))
        if unknown:
            raise ValueError(f"not among the agent's models: {', '.join(unknown)}")
        return limits

    @field_validator(*KEY_METADATA_FIELDS)
    @classmethod
    def _declared_once(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in (info.data.get("metadata") or {}):
            raise ValueError(f"also declared as metadata.{info.field_name}: keep one")
        return value

    def declared(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Those of `names` desired/ declares for this agent (an explicit null included)."""
        return tuple(n for n in names if n in self.model_fields_set)

    @field_validator("models")
    @classmethod
    def _unique_models(cls, models: list[str]) -> list[str]:
        seen = [m for i, m in enumerate(models) if m in models[:i]]
        if seen:
            raise ValueError(f"listed twice: {', '.join(seen)}")
        return models

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        # LiteLLM rejects ".." path segments in aliases (control characters: see Name).
        if ".." in name.split("/"):
            raise ValueError("must not contain '..' segments")
        reserved = reserved_alias(name)
        if reserved:
            raise ValueError(reserved)
        return name


class PinnedKey(Strict):
    """A key no plan may ever touch. Never the raw key: its alias and/or its sha256."""

    alias: Name | None = Field(default=None, description="the pinned key's key_alias")
    key_sha256: str | None = Field(
        default=None, pattern=SHA256_PATTERN,
        description="sha256 (hex) of the raw key; never the raw key itself",
    )
    note: str | None = Field(default=None, description="why this key is pinned")

    @model_validator(mode="after")
    def _one_identifier(self) -> PinnedKey:
        if self.alias is None and self.key_sha256 is None:
            raise ValueError("give alias and/or key_sha256")
        return self

    def pins(self, token: str, alias: str | None) -> bool:
        """Whether the live key with this sha256 and alias is the one this entry names."""
        return token == self.key_sha256 or (self.alias is not None and alias == self.alias)
