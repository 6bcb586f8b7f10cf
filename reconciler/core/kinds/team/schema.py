"""What desired/ declares for a team and its members."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from reconciler.core.input.names import clean_keys, reserved_keys
from reconciler.core.input.schema import (
    DURATION_PATTERN,
    MAX_BUDGET,
    Name,
    Strict,
    check_ignored,
)
from reconciler.core.input.yamlscalars import MAX_INT

TEAM_LIMITS = ("max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit")
TEAM_IGNORABLE = frozenset({"models", "model_aliases", "members", *TEAM_LIMITS})


class Member(Strict):
    """A user in a team, with its team role."""

    user: str = Field(min_length=1, max_length=255, description="a user id (users: id)")
    # `admin` needs LiteLLM Enterprise: the open-source proxy answers 400.
    role: Literal["user", "admin"] = Field(default="user", description="team role")


class Team(Strict):
    """A team; `name` is its team_alias, the tool keeps a stable team_id for it."""

    name: Name = Field(description="unique team name; becomes the team_alias")
    models: list[Name] = Field(
        min_length=1,
        description="models the team's keys may call (non-empty: LiteLLM reads [] as all)",
    )
    max_budget: float | None = Field(default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
                                     description="the team's spend limit in USD")
    soft_budget: float | None = Field(default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
                                      description="alerting threshold in USD")
    budget_duration: str | None = Field(default=None, pattern=DURATION_PATTERN,
                                        description="budget reset period (e.g. 30d)")
    rpm_limit: int | None = Field(default=None, ge=0, le=MAX_INT, description="requests/min")
    tpm_limit: int | None = Field(default=None, ge=0, le=MAX_INT, description="tokens/min")
    max_parallel_requests: int | None = Field(
        default=None,
        description="not settable on a team: LiteLLM 1.108.7 drops it (give the team's "
        "keys a budget with max_parallel_requests)",
    )
    model_aliases: dict[Name, Name] = Field(
        default_factory=dict, description="alias -> model name, for the team's keys"
    )
    members: list[Member] = Field(default_factory=list, description="the team's users")
    metadata: dict[str, Any] = Field(default_factory=dict,
                                     description="free-form; the tool adds its marker")
    blocked: bool = Field(default=False, description="true: every key of the team is refused")
    adopt: bool = Field(default=False,
                        description="take over the unmanaged team with this team_alias")
    protected: bool = Field(default=False, description="never blocked or deleted by the tool")
    ignore_fields: list[str] = Field(
        default_factory=list,
        description="fields another system owns: models, model_aliases, members, limits, "
        "metadata.NAME",
    )

    @field_validator("max_parallel_requests")
    @classmethod
    def _dropped(cls, value: int | None) -> int | None:
        if value is not None:
            raise ValueError("LiteLLM drops a team's max_parallel_requests (/team/new and "
                             "/team/update answer null); put it on a budget the team's agents "
                             "name (budgets: max_parallel_requests)")
        return value

    @field_validator("ignore_fields")
    @classmethod
    def _team_fields(cls, names: list[str]) -> list[str]:
        return check_ignored(names, TEAM_IGNORABLE, ("metadata.",))

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, metadata: dict[str, Any]) -> dict[str, Any]:
        reserved = reserved_keys(metadata, ("managed_by", "reconciler_applied"))
        if reserved:
            raise ValueError(f"reserved keys are set by the tool: {', '.join(reserved)}")
        return clean_keys(metadata)

    @field_validator("members")
    @classmethod
    def _members_once(cls, members: list[Member]) -> list[Member]:
        ids = [m.user for m in members]
        twice = sorted({u for i, u in enumerate(ids) if u in ids[:i]})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return members
