"""The desired/ format: pydantic models for one file, and the merged Estate.

These models are also the source of the JSON Schema shipped for editors (`reconciler schema`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from reconciler.core.names import (
    clean_keys,
    clean_name,
    colliding_keys,
    reserved_alias,
    reserved_keys,
)
from reconciler.core.safety import Safety
from reconciler.core.yamlscalars import MAX_INT

# LiteLLM accepts these suffixes for durations (s, m, h, d, w, mo); anything else fails server-side
# with a 500 after nothing was written, so it is checked here instead.
DURATION_PATTERN = r"^[1-9][0-9]*(s|m|h|d|w|mo)$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# The proxy stores budgets as doubles and accepts up to ~1e308, but spend arithmetic loses
# cents long before that; no real budget comes near a thousand billion.
MAX_BUDGET = 1e12

# Agent names, owners, model names, aliases, fallback groups: printable, NFC, non-empty.
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(clean_name),
]
EnvPattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_*][A-Za-z0-9_*]*$")]
HostPattern = Annotated[str, StringConstraints(pattern=r"^(\*\.)?[A-Za-z0-9.\-]+(:[0-9]+)?$")]


KEY_IGNORABLE = frozenset({"models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit"})


def _check_ignored(names: list[str], whole: frozenset[str], prefixes: tuple[str, ...]) -> list[str]:
    for name in names:
        inner = next((name[len(p) :] for p in prefixes if name.startswith(p)), None)
        if name not in whole and not inner:
            allowed = sorted(whole) + [f"{p}NAME" for p in prefixes]
            raise ValueError(f"cannot ignore {name!r}; one of: {', '.join(allowed)}")
    return names


class _Strict(BaseModel):
    # strict: "50", "off" or 60.0 are not silently turned into 50, False or 60.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True
    )


class Agent(_Strict):
    """An AI agent and its one virtual key; `name` becomes the key's `key_alias`."""

    name: Name = Field(description="unique agent name; becomes the key's key_alias")
    owner: Name = Field(description="who answers for this agent (a person or team)")
    # An empty list means "every model" to LiteLLM: too dangerous to allow by accident.
    models: list[Name] = Field(
        min_length=1,
        description="model names the key may call (non-empty: LiteLLM reads [] as all models)",
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
        return _check_ignored(names, KEY_IGNORABLE, ("metadata.",))

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        # The tool writes these itself; declaring one would fight every apply.
        # key_duration (live.DURATION_FIELD) holds the declared `duration`: reserved too, and
        # reported as such rather than as a "literal secret" for the word "key" in its name.
        reserved = reserved_keys(
            metadata, ("managed_by", "agent", "owner", "reconciler_applied", "reconciler_hold",
                       "key_duration")
        )
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return clean_keys(metadata)

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


class ModelDeployment(_Strict):
    """A gateway model deployment created through /model/new, identified by `id`."""

    id: str = Field(
        min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$",
        description="stable identity of the deployment, sent as model_info.id",
    )
    model_name: Name = Field(description="the model group agents ask for (e.g. MiniMax-M2.5)")
    litellm_params: dict[str, Any] = Field(
        description="LiteLLM params: model (required), api_base...; secrets only as "
        "os.environ/NAME references",
    )
    model_info: dict[str, Any] = Field(
        default_factory=dict, description="free-form model_info (e.g. description)"
    )
    adopt: bool = Field(
        default=False, description="take over the unmanaged deployment with this id"
    )
    protected: bool = Field(
        default=False, description="never deleted or re-created by the tool"
    )
    ignore_fields: list[str] = Field(
        default_factory=list,
        description="litellm_params.NAME / model_info.NAME another system owns: never "
        "compared or written after creation",
    )

    @field_validator("ignore_fields")
    @classmethod
    def _model_fields(cls, names: list[str]) -> list[str]:
        return _check_ignored(names, frozenset(), ("litellm_params.", "model_info."))

    @field_validator("litellm_params")
    @classmethod
    def _has_model(cls, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(params.get("model"), str) or not params["model"]:
            raise ValueError("litellm_params.model is required (e.g. openai/gpt-4o)")
        return params

    @field_validator("model_info")
    @classmethod
    def _no_reserved_info(cls, info: dict[str, Any]) -> dict[str, Any]:
        reserved = reserved_keys(info, ("id", "db_model", "managed_by", "reconciler"))
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return clean_keys(info)


class PinnedKey(_Strict):
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


class Settings(_Strict):
    """How the tool treats this estate as a whole."""

    # What happens to a managed key whose agent left desired/: block is reversible, delete is not.
    removed_agents: Literal["block", "delete"] = Field(
        default="block",
        description="what happens to a managed key whose agent left desired/ (block: "
        "reversible; delete: not)",
    )
    # Several desired/ trees (teams, repos, test runs) can share one gateway: each manages only
    # the objects stamped with its own scope and leaves the others' alone.
    scope: str = Field(
        default="default", pattern=r"^[a-z0-9][a-z0-9_.\-]{0,62}$",
        description="several desired/ trees can share a gateway: each changes only the "
        "objects of its own scope",
    )
    safety: Safety = Field(
        default_factory=Safety,
        description="limits on how much of the estate one plan may change (see Safety rails)",
    )


class Policy(_Strict):
    """What model deployments may reference; a team guards this file (e.g. with CODEOWNERS).

    The gateway's own variables (master key, salt key, database...) are refused whatever this
    says; these lists narrow what is left."""

    allowed_env: list[EnvPattern] | None = Field(
        default=None,
        description="os.environ/ variables deployments may use (NAME or PREFIX_*); "
        "absent: any but the gateway's own",
    )
    allowed_api_hosts: list[HostPattern] | None = Field(
        default=None,
        description="hosts api_base / base_url may point at (host or *.domain); absent: any",
    )


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class GatewayBinding(_Strict):
    """Where a target's gateway is: the NAMES of environment variables, never their values."""

    base_url_env: EnvName = Field(
        description="variable holding the gateway address (e.g. STAGING_LITELLM_BASE_URL)"
    )
    admin_key_env: EnvName = Field(
        description="variable holding the admin key (e.g. STAGING_LITELLM_ADMIN_KEY)"
    )


class Overrides(_Strict):
    """Named fields of shared agents / models a target changes (desired/targets/NAME/ only)."""

    agents: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description="shared agent name -> the fields this target sets differently",
    )
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="shared model id -> the fields this target sets differently",
    )


class DesiredFile(_Strict):
    """The top-level keys one desired/*.yaml file may hold; all optional, files are merged."""

    agents: list[Agent] = Field(
        default_factory=list, description="AI agents, one virtual key each"
    )
    models: list[ModelDeployment] = Field(
        default_factory=list, description="model deployments created through /model/new"
    )
    config_models: list[Name] = Field(
        default_factory=list,
        description="model names the gateway's own config.yaml provides (read-only here)",
    )
    pinned: list[PinnedKey] = Field(
        default_factory=list, description="keys no plan may ever touch (by alias and/or sha256)"
    )
    settings: Settings | None = Field(
        default=None, description="estate-wide settings (one file only)"
    )
    policy: Policy | None = Field(
        default=None,
        description="what deployments may reference (one file only; guard it with CODEOWNERS)",
    )
    fallbacks: dict[Name, list[Name]] | None = Field(
        default=None,
        description="the gateway's whole fallback routing: model group -> groups to try next, "
        "in order; absent means the tool leaves fallbacks alone",
    )
    gateway: GatewayBinding | None = Field(
        default=None,
        description="a target's gateway, by environment variable names (desired/targets/NAME/ "
        "only)",
    )
    overrides: Overrides | None = Field(
        default=None,
        description="fields of shared agents / models this target changes "
        "(desired/targets/NAME/ only)",
    )

    @field_validator("fallbacks", mode="before")
    @classmethod
    def _groups_unique(cls, fallbacks: Any) -> Any:
        twice = colliding_keys(fallbacks) if isinstance(fallbacks, dict) else []
        if twice:
            raise ValueError(f"group {twice[0]!r} appears twice once normalised (NFC)")
        return fallbacks


class Estate(BaseModel):
    """Everything desired/ declares, merged and cross-checked."""

    model_config = ConfigDict(frozen=True)

    agents: tuple[Agent, ...] = ()
    models: tuple[ModelDeployment, ...] = ()
    config_models: frozenset[str] = frozenset()
    pinned: tuple[PinnedKey, ...] = ()
    settings: Settings = Settings()
    policy: Policy | None = None
    fallbacks: dict[str, tuple[str, ...]] | None = None
    # file:line of settings.safety.approve_large_change, for the plan's approval line.
    approval_at: str = ""

    @property
    def manages_fallbacks(self) -> bool:
        """Declared fallbacks are owned whole; undeclared ones are never read or touched."""
        return self.fallbacks is not None

    def is_pinned(self, token: str, alias: str | None) -> bool:
        return any(entry.pins(token, alias) for entry in self.pinned)

    def model_names(self) -> set[str]:
        return {m.model_name for m in self.models} | set(self.config_models)


def json_schema() -> dict[str, Any]:
    schema = DesiredFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reconciler desired/ file"
    return schema
