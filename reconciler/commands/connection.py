"""Where the gateway's address and admin key come from: flags first, then the environment.

The key may be named LITELLM_ADMIN_KEY (this tool's name) or LITELLM_API_KEY (the name
LiteLLM's own CLI and SDK read). When both are set the tool's own name wins, so a job that
exports LITELLM_API_KEY for another tool cannot silently change which key plans and applies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

KEY_VARIABLES = ("LITELLM_ADMIN_KEY", "LITELLM_API_KEY")


def admin_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    for name in KEY_VARIABLES:
        if env.get(name):
            return env[name]
    return None
