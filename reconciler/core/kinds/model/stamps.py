"""What of a deployment the tool compares and digests. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.core.input.secrets import ENV_REFERENCE, is_secret_name


def model_content(
    model_name: str,
    params: dict[str, Any],
    info: dict[str, Any],
    *,
    declared_params: dict[str, Any],
    info_keys: Iterable[str],
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """What of a deployment the gateway shows faithfully: secrets and env references are left
    out (hidden, masked or resolved by the gateway), so live and desired digest alike."""
    ignored = set(ignore)
    shown = {
        name: params.get(name)
        for name in sorted(declared_params)
        if not is_secret_name(name)
        and not str(declared_params[name]).startswith(ENV_REFERENCE)
        and f"litellm_params.{name}" not in ignored
    }
    return {
        "model_name": model_name,
        "litellm_params": shown,
        "model_info": {
            k: info.get(k) for k in sorted(info_keys) if f"model_info.{k}" not in ignored
        },
    }
