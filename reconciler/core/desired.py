"""The desired/ format: pydantic models for one file, and the merged Estate.

These models are also the source of the JSON Schema shipped for editors (`reconciler schema`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# LiteLLM accepts these suffixes for durations (s, m, h, d, w, mo); anything else fails server-side
# with a 500 after nothing was written, so it is checked here instead.
DURATION_PATTERN = r"^[1-9][0-9]*(s|m|h|d|w|mo)$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Agent(_Strict):
    """An AI agent and its one virtual key; `name` becomes the key's `key_alias`."""

    name: str = Field(min_length=1, max_length=255)
    owner: str = Field(min_length=1)
    # An empty list means "every model" to LiteLLM: too dangerous to allow by accident.
    models: list[str] = Field(min_length=1)
    blocked: bool = False
    max_budget: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    budget_duration: str | None = Field(default=None, pattern=DURATION_PATTERN)
    rpm_limit: int | None = Field(default=None, ge=0)
    tpm_limit: int | None = Field(default=None, ge=0)
    # Key lifetime: the key expires this long after it is created (or after the apply that
    # changed it: LiteLLM counts a new duration from now). Absent: never expires.
    duration: str | None = Field(default=None, pattern=DURATION_PATTERN)
    metadata: dict[str, Any] = Field(default_factory=dict)

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
        # LiteLLM rejects control characters and ".." path segments in aliases.
        if any(ord(c) < 32 for c in name) or ".." in name.split("/"):
            raise ValueError("must not contain control characters or '..' segments")
        return name


class ModelDeployment(_Strict):
    """A gateway model deployment created through /model/new, identified by `id`."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    model_name: str = Field(min_length=1)
    litellm_params: dict[str, Any]
    model_info: dict[str, Any] = Field(default_factory=dict)

    @field_validator("litellm_params")
    @classmethod
    def _has_model(cls, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(params.get("model"), str) or not params["model"]:
            raise ValueError("litellm_params.model is required (e.g. openai/gpt-4o)")
        return params

    @field_validator("model_info")
    @classmethod
    def _no_reserved_info(cls, info: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted({"id", "db_model", "managed_by", "reconciler"} & set(info))
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return info


class PinnedKey(_Strict):
    """A key no plan may ever touch. Never the raw key: its alias and/or its sha256."""

    alias: str | None = None
    key_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    note: str | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> PinnedKey:
        if self.alias is None and self.key_sha256 is None:
            raise ValueError("give alias and/or key_sha256")
        return self


class Settings(_Strict):
    # What happens to a managed key whose agent left desired/: block is reversible, delete is not.
    removed_agents: Literal["block", "delete"] = "block"
    # Several desired/ trees (teams, repos, test runs) can share one gateway: each manages only
    # the objects stamped with its own scope and leaves the others' alone.
    scope: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9_.\-]{0,62}$")


class DesiredFile(_Strict):
    """The top-level keys one desired/*.yaml file may hold; all optional, files are merged."""

    agents: list[Agent] = Field(default_factory=list)
    models: list[ModelDeployment] = Field(default_factory=list)
    config_models: list[str] = Field(
        default_factory=list,
        description="model names the gateway's own config.yaml provides (read-only here)",
    )
    pinned: list[PinnedKey] = Field(default_factory=list)
    settings: Settings | None = None
    fallbacks: dict[str, list[str]] | None = Field(
        default=None,
        description="the gateway's whole fallback routing: model group -> groups to try next, "
        "in order; absent means the tool leaves fallbacks alone",
    )


class Estate(BaseModel):
    """Everything desired/ declares, merged and cross-checked."""

    model_config = ConfigDict(frozen=True)

    agents: tuple[Agent, ...] = ()
    models: tuple[ModelDeployment, ...] = ()
    config_models: frozenset[str] = frozenset()
    pinned: tuple[PinnedKey, ...] = ()
    settings: Settings = Settings()
    fallbacks: dict[str, tuple[str, ...]] | None = None

    @property
    def manages_fallbacks(self) -> bool:
        """Declared fallbacks are owned whole; undeclared ones are never read or touched."""
        return self.fallbacks is not None

    def model_names(self) -> set[str]:
        return {m.model_name for m in self.models} | set(self.config_models)


SECRET_PARAM = re.compile(r"(key|secret|token|password|credential|auth|cookie)", re.IGNORECASE)
ENV_REFERENCE = "os.environ/"


def json_schema() -> dict[str, Any]:
    schema = DesiredFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reconciler desired/ file"
    return schema
