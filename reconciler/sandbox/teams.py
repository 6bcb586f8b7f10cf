"""Teams and their members as LiteLLM 1.108.7 answers them (tests/recorded/teams/).

The creator (the master key: `default_user_id`) is added to every new team as its admin; a
member with role `admin` is an Enterprise feature (400) for everyone else; a member the user
table lacks is created on the way; `max_parallel_requests` is dropped on create and update;
metadata is replaced whole; model_aliases live in a model table row the team points at.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from .context import Call, Response
from .errors import ApiError, detail_error, internal_wrapped, proxy_error
from .keyrows import ADMIN_USER_ID
from .state import State
from .usertable import new_user_row
from .util import expires_from_duration, fmt_offset, now
from .validate import body_object, check_types, query_int

_PREMIUM = ("Assigning team admins is a premium feature. You must be a LiteLLM Enterprise user "
            "to use this feature. If you have a license please set `LITELLM_LICENSE` in your "
            "env. Get a 7 day trial key here: https://www.litellm.ai/#trial. Pricing: "
            "https://www.litellm.ai/#pricing")
_TYPES = {"team_id": "str", "team_alias": "str", "models": "list", "max_budget": "number",
          "soft_budget": "number", "budget_duration": "str", "rpm_limit": "int",
          "tpm_limit": "int", "metadata": "dict", "model_aliases": "dict", "blocked": "bool",
          "members_with_roles": "list"}
_SET = ("team_alias", "models", "max_budget", "soft_budget", "budget_duration", "rpm_limit",
        "tpm_limit", "metadata", "blocked")


_LICENCE = ("You must be a LiteLLM Enterprise user to use this feature. If you have a license "
            "please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: "
            "https://www.litellm.ai/enterprise#trial. \nPricing: https://www.litellm.ai/#pricing")


def _premium_member(member: dict[str, Any]) -> ApiError:
    return detail_error(400, {"error": "Assigning team admins is a premium feature. Got=user_id="
                              f"'{member.get('user_id')}' user_email={member.get('user_email')}"
                              f" role='admin'. {_LICENCE}. "})


def organization_new(state: State, call: Call) -> Response:
    """Organizations answer 403 without a licence (since 1.102)."""
    raise detail_error(403, {"error": "Organizations are only available for LiteLLM Enterprise "
                                      f"users. {_LICENCE}"})


def _members_text(row: dict[str, Any]) -> str:
    return ", ".join(f"Member(user_id={m['user_id']!r}, user_email={m['user_email']!r}, "
                     f"role={m['role']!r})" for m in row["members_with_roles"])


def _member(state: State, member: dict[str, Any], *, created: bool = False) -> dict[str, Any]:
    """A member row; the user table gains a user it lacks. An admin is premium on
    /team/member_add, but /team/new takes one (recorded: team_new_with_admin)."""
    user_id = str(member.get("user_id"))
    if member.get("role") == "admin" and not created:
        raise _premium_member(member)
    user = state.users.setdefault(user_id, new_user_row(user_id))
    return {"user_id": user_id, "user_email": user.get("user_email"),
            "role": member.get("role") or "user"}


def _team(state: State, team_id: str) -> dict[str, Any]:
    row = state.teams.get(team_id)
    if row is None:
        raise internal_wrapped(404, {"error": f"Team not found, passed team_id={team_id}"})
    return row


def _aliases(row: dict[str, Any], aliases: dict[str, Any]) -> None:
    row["model_id"] = row.get("model_id") or 1
    row["litellm_model_table"] = {"id": row["model_id"], "model_aliases": dict(aliases),
                                  "created_by": ADMIN_USER_ID, "updated_by": ADMIN_USER_ID,
                                  "team": None}


def team_new(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, _TYPES)
    team_id = str(body.get("team_id") or uuid.uuid4())
    if team_id in state.teams:
        raise internal_wrapped(400, {"error": f"Team id = {team_id} already exists. Please use "
                                              "a different team id."})
    members = [_member(state, m, created=True) for m in body.get("members_with_roles") or []]
    members.append({"user_id": ADMIN_USER_ID, "user_email": None, "role": "admin"})
    stamp = fmt_offset(now())
    row: dict[str, Any] = {
        "team_alias": None, "team_id": team_id, "organization_id": None, "admins": [],
        "members": [], "members_with_roles": members, "metadata": {}, "tpm_limit": None,
        "rpm_limit": None, "max_budget": None, "soft_budget": None, "budget_duration": None,
        "budget_reset_at": None, "models": [], "blocked": False, "spend": 0.0,
        "max_parallel_requests": None, "model_id": None, "litellm_model_table": None,
        "created_at": stamp, "updated_at": stamp,
    }
    row.update({n: body[n] for n in _SET if body.get(n) is not None})
    _reset_at(row, body)
    if body.get("model_aliases"):
        _aliases(row, body["model_aliases"])
    state.teams[team_id] = row
    return 200, dict(row)


def _reset_at(row: dict[str, Any], body: dict[str, Any]) -> None:
    """A budget_duration sets when the team's spend resets, as it does for a key."""
    if "budget_duration" in body:
        duration = body["budget_duration"]
        row["budget_reset_at"] = (None if duration is None
                                  else fmt_offset(expires_from_duration(duration, now())))


def team_update(state: State, call: Call) -> Response:
    body = body_object(call.body)
    check_types(body, _TYPES)
    row = _team(state, str(body.get("team_id")))
    row.update({n: body[n] for n in _SET if n in body})
    _reset_at(row, body)
    if "model_aliases" in body:
        _aliases(row, body["model_aliases"] or {})
    row["updated_at"] = fmt_offset(now())
    return 200, {"team_id": row["team_id"], "data": dict(row)}


def member_add(state: State, call: Call) -> Response:
    body = body_object(call.body)
    row = _team(state, str(body.get("team_id")))
    members = body.get("member")
    for member in members if isinstance(members, list) else [members or {}]:
        if any(m["user_id"] == member.get("user_id") for m in row["members_with_roles"]):
            raise proxy_error(400, "All users are already in team. Existing members=["
                              f"{_members_text(row)}]", "team_member_already_in_team", "member")
        row["members_with_roles"].append(_member(state, member))
    return 200, dict(row)


def member_update(state: State, call: Call) -> Response:
    body = body_object(call.body)
    row = _team(state, str(body.get("team_id")))
    if body.get("role") == "admin":
        raise detail_error(400, _PREMIUM)
    for member in row["members_with_roles"]:
        if member["user_id"] == body.get("user_id"):
            member["role"] = body.get("role") or member["role"]
    return 200, {"team_id": row["team_id"], "user_id": body.get("user_id")}


def member_delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    row = _team(state, str(body.get("team_id")))
    row["members_with_roles"] = [m for m in row["members_with_roles"]
                                 if m["user_id"] != body.get("user_id")]
    return 200, dict(row)


def _set_blocked(state: State, call: Call, blocked: bool) -> Response:
    body = body_object(call.body)
    row = state.teams.get(str(body.get("team_id")))
    if row is None:
        raise detail_error(404, {"error": f"Team not found, passed team_id={body.get('team_id')}"})
    row["blocked"] = blocked
    return 200, dict(row)


def team_block(state: State, call: Call) -> Response:
    return _set_blocked(state, call, True)


def team_unblock(state: State, call: Call) -> Response:
    return _set_blocked(state, call, False)


def team_delete(state: State, call: Call) -> Response:
    body = body_object(call.body)
    ids = [str(t) for t in body.get("team_ids") or []]
    missing = [t for t in ids if t not in state.teams]
    if missing:
        raise detail_error(404, {"error": f"Team not found, passed team_id={missing[0]}"})
    for team_id in ids:
        del state.teams[team_id]
    return 200, {"deleted_teams": ids}


def team_info(state: State, call: Call) -> Response:
    team_id = call.query.get("team_id", "")
    row = state.teams.get(team_id)
    if row is None:
        raise proxy_error(404, f"{{'message': 'Team not found, passed team id: {team_id}.'}}",
                          "auth_error", "None")
    keys = [dict(k) for k in state.keys.values() if k.get("team_id") == team_id]
    return 200, {"team_id": team_id, "team_info": dict(row), "keys": keys}


def team_list_v2(state: State, call: Call) -> Response:
    page = query_int(call.query, "page", 1, ge=1)
    size = query_int(call.query, "page_size", 10, ge=1, le=100)
    teams = list(state.teams.values())
    window = teams[(page - 1) * size: page * size]
    return 200, {"teams": [dict(t) for t in window], "total": len(teams), "page": page,
                 "page_size": size, "total_pages": math.ceil(len(teams) / size)}
