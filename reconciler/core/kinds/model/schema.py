"""What desired/ declares for a model deployment."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from reconciler.core.input.names import clean_keys, reserved_keys
from reconciler.core.input.schema import (
    Name,
    Strict,
    check_ignored,
)


class ModelDeployment(Strict):
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
        return check_ignored(names, frozenset(), ("litellm_params.", "model_info."))

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
