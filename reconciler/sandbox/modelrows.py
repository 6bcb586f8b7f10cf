"""Model rows: config-model ids, param "encryption", and the sanitised /model/info view."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import Any

from .util import mask_param, to_z

Row = dict[str, Any]

# Added by the real proxy to every stored deployment's litellm_params (examples 23/24/25).
DEFAULT_PARAM_FLAGS: dict[str, bool] = {
    "use_xai_oauth": False,
    "use_litellm_proxy": False,
    "use_in_pass_through": False,
    "allow_client_keepalive_override": False,
    "merge_reasoning_content_in_choices": False,
}
# Dropped (not masked) from /model/info, as observed on the live proxy.
REMOVED_PARAMS = frozenset({
    "api_key", "client_secret", "vertex_credentials", "aws_access_key_id", "aws_secret_access_key",
})
# Name segments (split on _ and -) that make a param "sensitive" for SensitiveDataMasker.
_SENSITIVE_SEGMENTS = frozenset({
    "key", "secret", "token", "password", "cookie", "private", "access", "certificate",
    "credential", "auth",
})
# LiteLLM_Params fields that survive the legacy POST /model/update rebuild of stored params.
KNOWN_PARAMS = frozenset({
    "model", "api_key", "api_base", "api_version", "custom_llm_provider", "tpm", "rpm",
    "timeout", "stream_timeout", "max_retries", "organization", "mock_response",
    "input_cost_per_token", "output_cost_per_token", "input_cost_per_second",
    "output_cost_per_second", "input_cost_per_pixel", "output_cost_per_pixel", "region_name",
    "aws_access_key_id", "aws_secret_access_key", "aws_region_name", "aws_session_token",
    "vertex_project", "vertex_location", "vertex_credentials", "watsonx_region_name",
    "max_file_size_mb", "max_budget", "budget_duration", "litellm_credential_name",
    "azure_ad_token", "tenant_id", "client_id", "client_secret", "drop_params",
    "additional_drop_params", "extra_headers", "headers", "configurable_clientside_auth_params",
    "litellm_trace_id", "auto_router_config", "auto_router_config_path",
    *DEFAULT_PARAM_FLAGS,
})
_SALT = b"reconciler-sandbox-model-params"
_SPLIT = re.compile(r"[_-]")


def config_model_id(model_name: str, params: dict[str, Any]) -> str:
    """Router id of a config model without `model_info.id` (router.py generate_model_id)."""
    concat = model_name
    for key, value in params.items():
        concat += key
        if isinstance(value, str):
            concat += value
        elif isinstance(value, dict):
            concat += json.dumps(value)
        else:
            concat += str(value)
    return hashlib.sha256(concat.encode()).hexdigest()


def config_model(model_name: str, params: dict[str, Any]) -> Row:
    model_id = config_model_id(model_name, params)
    return {"model_name": model_name, "litellm_params": dict(params),
            "model_info": {"id": model_id, "db_model": False}}


def _keystream(nonce: bytes, length: int) -> bytes:
    blocks, counter = b"", 0
    while len(blocks) < length:
        blocks += hashlib.sha256(_SALT + nonce + counter.to_bytes(4, "big")).digest()
        counter += 1
    return blocks[:length]


def encrypt(value: str) -> str:
    """Opaque, reversible, and different on every call (random nonce) like the real ciphertext."""
    nonce = secrets.token_bytes(12)
    data = value.encode()
    mixed = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data)), strict=True))
    return base64.urlsafe_b64encode(nonce + mixed).decode()


def decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    nonce, mixed = raw[:12], raw[12:]
    return bytes(a ^ b for a, b in zip(mixed, _keystream(nonce, len(mixed)), strict=True)).decode()


def encrypt_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: encrypt(v) if isinstance(v, str) else v for k, v in params.items()}


def decrypt_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: decrypt(v) if isinstance(v, str) else v for k, v in params.items()}


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    if "cost" in lowered:
        return False
    return any(part in _SENSITIVE_SEGMENTS for part in _SPLIT.split(lowered))


def _mask_tree(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, dict):
            out[name] = _mask_tree(value)
        elif _is_sensitive(name) and not isinstance(value, bool | list):
            out[name] = mask_param(value)
        else:
            out[name] = value
    return out


def public_params(plain: dict[str, Any]) -> dict[str, Any]:
    """litellm_params as /model/info shows them: secrets dropped or masked, nulls dropped."""
    kept = {k: v for k, v in plain.items() if k not in REMOVED_PARAMS and v is not None}
    return _mask_tree({**DEFAULT_PARAM_FLAGS, **kept})


def info_row(model_name: str, plain: dict[str, Any], info: dict[str, Any], db: bool,
             blocked: bool, model_id: str) -> Row:
    """One /model/info entry. model_info carries the documented minimal set, no cost map."""
    model_info: dict[str, Any] = {"id": model_id, "db_model": db, "member_auto_router": False}
    if db:
        model_info["blocked"] = blocked
    model_info.update({k: v for k, v in info.items() if k not in {"id", "db_model", "blocked"}})
    model_info.update(access_via_team_ids=[], direct_access=True, pricing_overrides=[])
    return {"model_name": model_name, "litellm_params": public_params(plain),
            "model_info": model_info}


def db_row_view(row: Row) -> Row:
    """The stored DB row as /model/new and both update endpoints return it (Z timestamps)."""
    out = json.loads(json.dumps(row))
    for name in ("created_at", "updated_at"):
        out[name] = to_z(out[name])
    return out
