"""The desired/ format: pydantic models for one file, and the merged Estate.

These models are also the source of the JSON Schema shipped for editors (`reconciler schema`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from reconciler.core.input.names import colliding_keys
from reconciler.core.input.safety import Safety
from reconciler.core.input.schema import EnvName, EnvPattern, HostPattern, Name, Strict
from reconciler.core.kinds.budget.schema import Budget
from reconciler.core.kinds.key.schema import KEY_IGNORABLE, Agent, PinnedKey
from reconciler.core.kinds.model.schema import ModelDeployment
from reconciler.core.kinds.routing.checks import routing_problems
from reconciler.core.kinds.routing.schema import RouterSettings
from reconciler.core.kinds.team.checks import team_problems
from reconciler.core.kinds.team.schema import Member, Team
from reconciler.core.kinds.user.schema import User

# Re-exported: the desired/ format is one schema, whatever package holds a kind's part of it.
__all__ = ["KEY_IGNORABLE", "NAMED_SECTIONS", "Agent", "Budget", "DesiredFile", "Estate",
           "Member", "ModelDeployment", "PinnedKey", "Team", "User"]

# The lists of named objects, one per kind: section -> the field that names an object. Files
# add to each other (and a target to the shared tree); a name declared twice is an error
# naming both places. The loader merges and checks every section listed here.
NAMED_SECTIONS = {"agents": "name", "models": "id", "budgets": "name", "users": "id",
                  "teams": "name"}
# Each kind's checks across files: (file content, merged estate) -> (path, message) pairs,
# turned into FILE:LINE problems by input/checks.py.
CROSS_CHECKS = (team_problems, routing_problems)


TargetName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,62}$")]


class Settings(Strict):
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
    removed_budgets: Literal["keep", "delete"] = Field(
        default="keep",
        description="what happens to a managed budget that left desired/ (keep: it stays; "
        "delete: deleted)",
    )
    removed_teams: Literal["block", "delete"] = Field(
        default="block",
        description="what happens to a managed team that left desired/ (block: it and its "
        "keys are blocked; delete: deleted)",
    )
    removed_users: Literal["keep", "delete"] = Field(
        default="keep",
        description="what happens to a managed user that left desired/ (keep: it stays; "
        "delete: deleted)",
    )
    safety: Safety = Field(
        default_factory=Safety,
        description="limits on how much of the estate one plan may change (see Safety rails)",
    )
    # CI applies targets one after the other in this order, each after the one before it
    # succeeded; it names every folder of desired/targets/ (checked where the folders are known).
    promotion: list[TargetName] | None = Field(
        default=None,
        description="the order CI applies desired/targets/ in, e.g. [staging, production]; "
        "shared files only",
    )

    @field_validator("promotion")
    @classmethod
    def _promoted_once(cls, promotion: list[str] | None) -> list[str] | None:
        if promotion is None:
            return None
        if not promotion:
            raise ValueError("name the targets in the order CI applies them")
        twice = [t for i, t in enumerate(promotion) if t in promotion[:i]]
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return promotion


class Policy(Strict):
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




class GatewayBinding(Strict):
    """Where a target's gateway is: the NAMES of environment variables, never their values."""

    base_url_env: EnvName = Field(
        description="variable holding the gateway address (e.g. STAGING_LITELLM_BASE_URL)"
    )
    admin_key_env: EnvName = Field(
        description="variable holding the admin key (e.g. STAGING_LITELLM_ADMIN_KEY)"
    )
    replicas_env: EnvName | None = Field(
        default=None,
        description="variable holding the gateway's replica URLs, space-separated, or "
        "dns+http://NAME:PORT for every address NAME resolves to (revocations are sent to "
        "each replica)",
    )


class Overrides(Strict):
    """Named fields of shared agents / models a target changes (desired/targets/NAME/ only)."""

    agents: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description="shared agent name -> the fields this target sets differently",
    )
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="shared model id -> the fields this target sets differently",
    )


class DesiredFile(Strict):
    """The top-level keys one desired/*.yaml file may hold; all optional, files are merged."""

    agents: list[Agent] = Field(
        default_factory=list, description="AI agents, one virtual key each"
    )
    models: list[ModelDeployment] = Field(
        default_factory=list, description="model deployments created through /model/new"
    )
    budgets: list[Budget] = Field(
        default_factory=list, description="shared budgets (/budget/new) keys and teams name"
    )
    users: list[User] = Field(
        default_factory=list, description="the gateway's users; team members name them"
    )
    teams: list[Team] = Field(
        default_factory=list, description="teams: their models and limits bound their keys"
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
    routing: RouterSettings | None = Field(
        default=None,
        description="router settings beyond fallbacks (num_retries, timeout, retry_policy, "
        "allowed_fails, cooldown_time, routing_strategy, context_window_fallbacks, "
        "model_group_alias): only the fields declared are owned",
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
    budgets: tuple[Budget, ...] = ()
    users: tuple[User, ...] = ()
    teams: tuple[Team, ...] = ()
    config_models: frozenset[str] = frozenset()
    pinned: tuple[PinnedKey, ...] = ()
    settings: Settings = Settings()
    policy: Policy | None = None
    fallbacks: dict[str, tuple[str, ...]] | None = None
    routing: RouterSettings | None = None
    # The named sections some file declares (even as `[]`): a kind whose section no file
    # declares is never read or touched (like fallbacks), except keys and models.
    declared: frozenset[str] = frozenset()
    # file:line of settings.safety.approve_large_change, for the plan's approval line.
    approval_at: str = ""

    @property
    def manages_fallbacks(self) -> bool:
        """Declared fallbacks are owned whole; undeclared ones are never read or touched."""
        return self.fallbacks is not None

    def router_settings(self) -> dict[str, Any]:
        """The router settings desired/ owns beyond fallbacks, as the proxy takes them."""
        return self.routing.owned() if self.routing is not None else {}

    def declares(self, section: str) -> bool:
        return section in self.declared

    def is_pinned(self, token: str, alias: str | None) -> bool:
        return any(entry.pins(token, alias) for entry in self.pinned)

    def model_names(self) -> set[str]:
        return {m.model_name for m in self.models} | set(self.config_models)


def json_schema() -> dict[str, Any]:
    schema = DesiredFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reconciler desired/ file"
    return schema
