"""What desired/ declares for a user (a /user/new object)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from reconciler.core.input.names import clean_keys, reserved_keys
from reconciler.core.input.schema import Name, Strict, check_ignored

USER_FIELDS = ("email", "role", "alias")
# LiteLLM's user roles (proxy_admin can do anything; viewers only read).
Role = Literal["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"]


class User(Strict):
    """A user of the gateway; team members name users by `id`."""

    id: str = Field(
        min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@+\-]*$",
        description="the user_id (stable; team members refer to it)",
    )
    email: str | None = Field(
        default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320,
        description="the user's email",
    )
    role: Role = Field(default="internal_user", description="LiteLLM's user role")
    alias: Name | None = Field(default=None, description="a display name (user_alias)")
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="free-form; the tool adds its marker"
    )
    adopt: bool = Field(default=False, description="take over the unmanaged user of this id")
    protected: bool = Field(default=False, description="never deleted by the tool")
    ignore_fields: list[str] = Field(
        default_factory=list,
        description="email, role, alias, metadata.NAME: owned by another system (SSO, SCIM)",
    )

    @field_validator("ignore_fields")
    @classmethod
    def _user_fields(cls, names: list[str]) -> list[str]:
        return check_ignored(names, frozenset(USER_FIELDS), ("metadata.",))

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        reserved = reserved_keys(metadata, ("managed_by", "reconciler_applied"))
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return clean_keys(metadata)
