"""Field sets of the key responses, copied from the recorded real-proxy examples.

Each real endpoint serialises a *different* model (Prisma row, LiteLLM_VerificationToken,
UserAPIKeyAuth, GenerateKeyResponse), so the sandbox keeps one stored row and projects it.
"""

from __future__ import annotations

from typing import Any

# The raw Prisma row (examples 14 and 17): what the sandbox stores per live key.
ROW_FIELDS: tuple[str, ...] = (
    "token", "key_name", "key_alias", "soft_budget_cooldown", "spend", "total_spend", "expires",
    "models", "aliases", "config", "router_settings", "user_id", "team_id", "agent_id",
    "project_id", "permissions", "max_parallel_requests", "metadata", "blocked", "tpm_limit",
    "rpm_limit", "tpd_limit", "max_budget", "budget_duration", "budget_reset_at",
    "allowed_cache_controls", "allowed_routes", "key_type", "policies", "access_group_ids",
    "model_spend", "model_max_budget", "budget_fallbacks", "budget_id", "organization_id",
    "object_permission_id", "created_at", "created_by", "updated_at", "updated_by",
    "settings_updated_at", "last_active", "rotation_count", "auto_rotate", "rotation_interval",
    "last_rotation_at", "key_rotation_at", "budget_limits", "litellm_budget_table",
    "litellm_organization_table", "litellm_project_table", "object_permission",
    "jwt_key_mappings",
)

DATETIME_FIELDS: frozenset[str] = frozenset({
    "expires", "budget_reset_at", "created_at", "updated_at", "settings_updated_at",
    "last_active", "last_rotation_at", "key_rotation_at", "deleted_at",
})

# LiteLLM_VerificationToken (example 11, /key/block): has `org_id`, lacks `organization_id`.
TOKEN_MODEL_FIELDS: tuple[str, ...] = (
    "token", "key_name", "key_alias", "spend", "total_spend", "max_budget", "expires", "models",
    "aliases", "config", "user_id", "team_id", "agent_id", "project_id", "max_parallel_requests",
    "metadata", "tpm_limit", "rpm_limit", "tpd_limit", "budget_duration", "budget_reset_at",
    "allowed_cache_controls", "allowed_routes", "key_type", "permissions", "model_spend",
    "model_max_budget", "budget_fallbacks", "soft_budget_cooldown", "blocked",
    "litellm_budget_table", "budget_id", "org_id", "created_at", "created_by", "updated_at",
    "updated_by", "settings_updated_at", "last_active", "object_permission_id",
    "object_permission", "access_group_ids", "rotation_count", "auto_rotate",
    "rotation_interval", "last_rotation_at", "key_rotation_at", "router_settings",
    "budget_limits",
)

# UserAPIKeyAuth adds these to TOKEN_MODEL_FIELDS in /key/list?return_full_object=true.
_LIST_EXTRA_NULLS = (
    "team_spend", "team_alias", "team_tpm_limit", "team_rpm_limit", "team_tpd_limit",
    "team_max_budget", "team_soft_budget", "team_model_max_budget", "soft_budget",
    "team_model_aliases", "team_member", "team_metadata", "team_object_permission_id",
    "team_member_spend", "team_member_tpm_limit", "team_member_rpm_limit", "end_user_id",
    "end_user_tpm_limit", "end_user_rpm_limit", "end_user_tpd_limit", "end_user_max_budget",
    "end_user_model_max_budget", "organization_alias", "organization_max_budget",
    "organization_tpm_limit", "organization_rpm_limit", "organization_metadata",
    "project_alias", "project_metadata", "last_refreshed_at", "api_key", "user_role",
    "allowed_model_region", "parent_otel_span", "rpm_limit_per_model", "tpm_limit_per_model",
    "user_tpm_limit", "user_rpm_limit", "user_email", "user_spend", "user_max_budget",
    "user_model_max_budget", "request_route", "is_session_token", "user", "created_by_user",
    "end_user_object_permission", "team_object_permission", "jwt_claims",
)
_LIST_EXTRA_FALSE = ("team_blocked", "is_session_token")


def list_extra_defaults() -> dict[str, Any]:
    """Fresh defaults each call so callers never share mutable values."""
    out: dict[str, Any] = {}
    for name in _LIST_EXTRA_NULLS:
        out[name] = False if name in _LIST_EXTRA_FALSE else None
        if name == "team_model_max_budget":
            out["team_models"] = []
            out["team_blocked"] = False
    return out


# Archived (deleted) rows add these on top of the token-model fields (example 45).
DELETED_EXTRA_FIELDS: tuple[str, ...] = (
    "id", "organization_id", "deleted_at", "deleted_by", "deleted_by_api_key",
    "litellm_changed_by",
)

# GenerateKeyResponse (example 03), in order. Values come from the request or the stored row.
GENERATE_FIELDS: tuple[str, ...] = (
    "key_alias", "duration", "models", "spend", "max_budget", "user_id", "team_id", "agent_id",
    "max_parallel_requests", "metadata", "tpm_limit", "rpm_limit", "budget_duration",
    "budget_limits", "allowed_cache_controls", "config", "permissions", "model_max_budget",
    "budget_fallbacks", "model_rpm_limit", "model_tpm_limit", "mcp_rpm_limit", "tag_rpm_limit",
    "guardrails", "policies", "prompts", "blocked", "aliases", "object_permission", "key",
    "tpd_limit", "default_estimated_output_tokens", "default_estimated_output_tokens_per_model",
    "budget_id", "end_user_budget_id", "tags", "disable_global_guardrails",
    "enable_prompt_caching", "throttle_on_budget_exceeded", "enforced_params", "allowed_routes",
    "allowed_passthrough_routes", "denied_passthrough_routes", "allowed_vector_store_indexes",
    "rpm_limit_type", "tpm_limit_type", "router_settings", "access_group_ids", "key_name",
    "key_type", "expires", "token_id", "organization_id", "project_id", "litellm_budget_table",
    "token", "created_by", "updated_by", "created_at", "updated_at",
)

# Nested `router_settings` object of GenerateKeyResponse: every field null except the alias map.
KEY_ROUTER_SETTINGS_FIELDS: tuple[str, ...] = (
    "routing_strategy_args", "routing_strategy", "routing_groups", "retry_policy",
    "model_group_retry_policy", "model_group_affinity_config", "allowed_fails", "cooldown_time",
    "num_retries", "timeout", "max_retries", "retry_after", "fallbacks",
    "context_window_fallbacks", "model_group_alias", "enable_tag_filtering", "weights",
    "tag_routing_prefix", "optional_pre_call_checks", "fallback_on_unsupported_params",
)

# Request fields LiteLLM stores inside `metadata` rather than as columns (§2.1).
METADATA_BACKED: frozenset[str] = frozenset({
    "model_rpm_limit", "model_tpm_limit", "rpm_limit_type", "tpm_limit_type", "mcp_rpm_limit",
    "tag_rpm_limit", "guardrails", "prompts", "tags", "enforced_params",
    "allowed_passthrough_routes", "denied_passthrough_routes", "disable_global_guardrails",
    "allowed_vector_store_indexes", "default_estimated_output_tokens",
    "default_estimated_output_tokens_per_model", "enable_prompt_caching",
    "throttle_on_budget_exceeded",
})

# Enterprise-only request fields: a non-empty value without a licence gives 403.
ENTERPRISE_FIELDS: tuple[str, ...] = ("tags", "guardrails", "policies", "prompts")

# Columns /key/generate and /key/update copy from the request into the row.
COLUMN_FIELDS: tuple[str, ...] = (
    "key_alias", "models", "max_budget", "user_id", "team_id", "agent_id", "project_id",
    "max_parallel_requests", "metadata", "tpm_limit", "rpm_limit", "tpd_limit",
    "budget_duration", "allowed_cache_controls", "config", "permissions", "model_max_budget",
    "budget_fallbacks", "blocked", "aliases", "budget_id", "organization_id", "allowed_routes",
    "key_type", "access_group_ids", "router_settings", "auto_rotate", "rotation_interval",
    "spend", "object_permission",
)

KEY_TYPE_ROUTES: dict[str, list[str]] = {
    "llm_api": ["llm_api_routes"],
    "management": ["management_routes"],
    "read_only": ["info_routes"],
}
