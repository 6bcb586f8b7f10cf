"""What a model deployment may make the gateway reveal: its env references and hosts. Pure.

The proxy resolves `os.environ/NAME` in a deployment's params from ITS OWN environment and
sends the result to `api_base`. Unchecked, one reviewed-looking file could point a deployment
at an attacker's host with `api_key: os.environ/LITELLM_MASTER_KEY`, and one chat call would
deliver the master key. So the gateway's own variables are refused always, and a `policy:`
section can narrow references and hosts further.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from reconciler.core.input.desired import ModelDeployment, Policy
from reconciler.core.input.secrets import ENV_REFERENCE, walk

# LiteLLM's own settings and credentials (its environment-variable reference), never a
# provider's: master and salt keys, database, cache, admin UI, SSO, alerting, the proxy.
GATEWAY_ENV = (
    "LITELLM_*", "MASTER_KEY", "SALT_KEY", "DATABASE_*", "DIRECT_URL", "POSTGRES_*", "PG*",
    "REDIS_*", "STORE_MODEL_IN_DB", "UI_*", "PROXY_*", "CONFIG_FILE_PATH", "SMTP_*",
    "SLACK_*", "JWT_*", "GOOGLE_CLIENT_*", "MICROSOFT_CLIENT_*", "MICROSOFT_TENANT",
    "GENERIC_CLIENT_*", "GENERIC_AUTHORIZATION_ENDPOINT", "GENERIC_TOKEN_ENDPOINT",
    "GENERIC_USERINFO_ENDPOINT", "AUTH_STRATEGY", "ALLOWED_EMAIL_DOMAINS",
)
URL_PARAMS = frozenset({"api_base", "base_url"})
# Every param a provider reaches out through, not only api_base: Bedrock's
# aws_bedrock_runtime_endpoint and aws_sts_endpoint, sagemaker_base_url, api_endpoint, ...
_ENDPOINT_NAME = re.compile(r"(^|_)(api_base|base_url|endpoint|endpoint_url|url|host)$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Path_ = tuple[Any, ...]


def policy_problems(
    model: ModelDeployment, policy: Policy | None, base: Path_
) -> Iterator[tuple[Path_, str]]:
    """(path, message) for every reference or host of `model` the rules refuse."""
    trees = (("litellm_params", model.litellm_params), ("model_info", model.model_info))
    for section, tree in trees:
        for path, value in walk(tree, (*base, section)):
            if isinstance(value, str) and value.startswith(ENV_REFERENCE):
                yield from _env_problem(path, value.removeprefix(ENV_REFERENCE), policy)
    if policy is not None and policy.allowed_api_hosts is not None:
        for name in sorted(endpoint_params(model.litellm_params)):
            message = _host_problem(model.litellm_params[name], policy.allowed_api_hosts)
            if message:
                yield (*base, "litellm_params", name), message


def endpoint_params(params: dict[str, Any]) -> set[str]:
    """The params that name where the gateway sends requests: endpoint-like names, and any
    param whose value is an http(s) URL."""
    return {name for name, value in params.items()
            if name in URL_PARAMS or _ENDPOINT_NAME.search(name.lower())
            or (isinstance(value, str) and value.lower().startswith(("http://", "https://")))}


def _env_problem(path: Path_, variable: str, policy: Policy | None) -> Iterator[tuple[Path_, str]]:
    if not _VARIABLE.match(variable):
        yield path, f"os.environ/{variable[:40]!r} is not a variable name"
    elif is_gateway_variable(variable):
        yield path, (
            f"os.environ/{variable} is the gateway's own variable: a deployment would send it "
            "to its api_base; refused whatever the policy says"
        )
    elif policy is not None and policy.allowed_env is not None and not any(
        fnmatchcase(variable, pattern) for pattern in policy.allowed_env
    ):
        yield path, f"os.environ/{variable} is not in policy.allowed_env"


def is_gateway_variable(variable: str) -> bool:
    upper = variable.upper()
    return any(fnmatchcase(upper, pattern) for pattern in GATEWAY_ENV)


def _host_problem(value: Any, allowed: list[str]) -> str | None:
    if not isinstance(value, str) or value.startswith(ENV_REFERENCE):
        return "must be a literal URL while policy.allowed_api_hosts is set (its host is checked)"
    try:
        parts = urlsplit(value)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "is not an http(s) URL"
    here = f"{host}:{port}" if port else host
    if any(_host_matches(host, here, pattern.lower()) for pattern in allowed):
        return None
    return f"host {here!r} is not in policy.allowed_api_hosts"


def _host_matches(host: str, with_port: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern in (host, with_port)
