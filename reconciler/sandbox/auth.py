"""Authentication as the real proxy's `user_api_key_auth` does it (§1.1), all 401 format (A)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from .context import Caller
from .errors import auth_wrapped, proxy_error
from .keyrows import status_of
from .state import State
from .users import USER_ROUTES, caller_for
from .util import hash_token, mask_short
from .util import now as utc_now

_ALT_HEADERS = ("api-key", "x-api-key", "x-goog-api-key", "ocp-apim-subscription-key")
_PREFIXES = ("Bearer ", "bearer ", "Basic ")


def _strip_prefix(value: str) -> str | None:
    for prefix in _PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):].strip()
    return None


def extract_key(headers: Mapping[str, str]) -> str | None:
    """The presented key, "" for a malformed Authorization header, None when absent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "x-litellm-api-key" in lowered:
        value = lowered["x-litellm-api-key"]
        return _strip_prefix(value) or value.strip()
    if "authorization" in lowered:
        return _strip_prefix(lowered["authorization"]) or ""
    for name in _ALT_HEADERS:
        if name in lowered:
            return lowered[name].strip()
    return None


def _admin_only(path: str) -> Exception:
    return auth_wrapped(401, (
        "Authentication Error, Only proxy admin can be used to generate, delete, update info "
        f"for new keys/users/teams. Route={path}. Your role=unknown. Your user_id=*******"
    ))


def authenticate(
    state: State, headers: Mapping[str, str], master_key: str, path: str, admin_route: bool
) -> Caller:
    key = extract_key(headers)
    if key is None:
        raise auth_wrapped(401, "Authentication Error, No api key passed in.")
    if key == "":
        raise auth_wrapped(401, "Authentication Error, Malformed API Key passed in. "
                                "Ensure Key has `Bearer ` prefix.")
    # Compared raw: the sha256 of the master key is deliberately not accepted.
    if secrets.compare_digest(key.encode(), master_key.encode()):
        return Caller(is_admin=True)
    if not key.startswith("sk-"):
        raise auth_wrapped(401, f"LiteLLM Virtual Key expected. Received={mask_short(key)}, "
                                "expected to start with 'sk-'.")
    token = hash_token(key)
    row = state.keys.get(token)
    if row is None:
        raise proxy_error(401, "Authentication Error, Invalid API key provided.",
                          "token_not_found_in_db", "key")
    if row.get("blocked") is True:
        raise auth_wrapped(401, "Authentication Error, Key is blocked. Update via `/key/unblock` "
                                "if you're an admin.")
    team_id = row.get("team_id")
    if (state.teams.get(str(team_id)) or {}).get("blocked") is True:
        # As LiteLLM 1.108.7 refuses every key of a blocked team (at once after /team/update;
        # /team/block waits out the replica's cached team, which the sandbox does not play).
        raise auth_wrapped(401, f"Authentication Error, Team={team_id} is blocked. Update via "
                                "`/team/unblock` if you're an admin.")
    moment = utc_now()
    if status_of(row, moment) == "expired":
        message = (f"Authentication Error - Expired Key. Key Expiry time {row['expires']} "
                   f"and current time {moment}")
        raise proxy_error(401, message, "expired_key", row.get("key_name"))
    user = caller_for(state, row)
    if user is not None and (user.is_admin or path in USER_ROUTES):
        return user
    if admin_route:
        raise _admin_only(path)
    return user or Caller(is_admin=False, token=token)
