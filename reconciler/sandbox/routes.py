"""Route table and request dispatch, independent of the HTTP server plumbing.

Order matches FastAPI + LiteLLM: routing (404/405) -> auth (401) -> body parsing/validation
(422) -> handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import budgets, chat, config, keylist, keys, models, spendlogs, teams, usertable
from .auth import authenticate, extract_key
from .context import Call, Caller, Response
from .errors import ApiError, method_not_allowed, not_found, validation_error
from .state import State
from .validate import MISSING

if TYPE_CHECKING:
    from .replicas import ReplicaCache

Handler = Callable[[State, Call], Response]
# Routes that read the replica's router (its own load of the deployments), not the database.
MODEL_READS = ("/model/info", "/v1/model/info", "/chat/completions", "/v1/chat/completions")


@dataclass(frozen=True)
class Route:
    handler: Handler
    admin: bool = True
    public: bool = False
    mutates: bool = False
    llm: bool = False


def _liveliness(state: State, call: Call) -> Response:
    return 200, "I'm alive!"


def _readiness(state: State, call: Call) -> Response:
    return 200, {"status": "healthy", "db": "connected"}


def _write(handler: Handler) -> Route:
    return Route(handler, mutates=True)


_MODEL_INFO = Route(models.model_info, admin=False)
_CHAT = Route(chat.chat_completions, admin=False, mutates=True, llm=True)
ROUTES: dict[str, dict[str, Route]] = {
    "/health/liveliness": {"GET": Route(_liveliness, public=True)},
    "/health/liveness": {"GET": Route(_liveliness, public=True)},
    "/health/readiness": {"GET": Route(_readiness, public=True)},
    "/key/generate": {"POST": _write(keys.generate)},
    "/key/info": {"GET": Route(keys.info, admin=False)},
    "/key/list": {"GET": Route(keylist.list_keys, admin=False)},
    "/key/update": {"POST": _write(keys.update)},
    "/key/block": {"POST": _write(keys.block)},
    "/key/unblock": {"POST": _write(keys.unblock)},
    "/key/delete": {"POST": _write(keys.delete)},
    "/model/new": {"POST": _write(models.model_new)},
    "/model/info": {"GET": _MODEL_INFO},
    "/v1/model/info": {"GET": _MODEL_INFO},
    "/model/update": {"POST": _write(models.model_update)},
    "/model/delete": {"POST": _write(models.model_delete)},
    "/config/update": {"POST": _write(config.config_update)},
    "/get/config/callbacks": {"GET": Route(config.config_callbacks)},
    "/budget/new": {"POST": _write(budgets.budget_new)},
    "/budget/update": {"POST": _write(budgets.budget_update)},
    "/budget/delete": {"POST": _write(budgets.budget_delete)},
    "/budget/info": {"POST": Route(budgets.budget_info)},
    "/budget/list": {"GET": Route(budgets.budget_list)},
    "/user/new": {"POST": _write(usertable.user_new)},
    "/user/update": {"POST": _write(usertable.user_update)},
    "/user/delete": {"POST": _write(usertable.user_delete)},
    "/user/info": {"GET": Route(usertable.user_info)},
    "/user/list": {"GET": Route(usertable.user_list)},
    "/team/new": {"POST": _write(teams.team_new)},
    "/team/update": {"POST": _write(teams.team_update)},
    "/team/delete": {"POST": _write(teams.team_delete)},
    "/team/block": {"POST": _write(teams.team_block)},
    "/team/unblock": {"POST": _write(teams.team_unblock)},
    "/team/member_add": {"POST": _write(teams.member_add)},
    "/team/member_update": {"POST": _write(teams.member_update)},
    "/team/member_delete": {"POST": _write(teams.member_delete)},
    "/team/info": {"GET": Route(teams.team_info)},
    "/v2/team/list": {"GET": Route(teams.team_list_v2)},
    "/organization/new": {"POST": _write(teams.organization_new)},
    "/chat/completions": {"POST": _CHAT},
    "/v1/chat/completions": {"POST": _CHAT},
    "/spend/logs/v2": {"GET": Route(spendlogs.spend_logs_v2)},
    "/spend/logs": {"GET": Route(spendlogs.spend_logs)},
    "/global/spend": {"GET": Route(spendlogs.global_spend)},
    "/global/spend/keys": {"GET": Route(spendlogs.global_spend_keys)},
}
PATTERNS: list[tuple[re.Pattern[str], dict[str, Route]]] = [
    (re.compile(r"^/model/(?P<model_id>[^/]+)/update$"), {"PATCH": _write(models.model_patch)}),
]


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    methods, params = ROUTES.get(path), {}
    if methods is None:
        for pattern, candidate in PATTERNS:
            match = pattern.match(path)
            if match:
                methods, params = candidate, match.groupdict()
                break
    if methods is None:
        raise not_found()
    if method not in methods:
        raise method_not_allowed()
    return methods[method], params


def parse_body(raw: bytes, headers: Mapping[str, str]) -> Any:
    """Decoded before auth, like FastAPI: malformed JSON is a 422 even with a bad key."""
    if not raw.strip():
        return MISSING
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if content_type and "json" not in content_type:
        # FastAPI does not JSON-decode form bodies; the model then rejects a non-object.
        return raw.decode(errors="replace")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        raise validation_error("json_invalid", ["body", position], "JSON decode error") from None


@dataclass
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes


def dispatch(state: State, master_key: str, req: Incoming,
             replica: ReplicaCache | None = None) -> tuple[Response, bool]:
    """Returns ((status, payload), state_changed). Caller holds the state lock. On one of
    several replicas, authentication and the router see that replica's caches (replicas.py)."""
    route: Route | None = None
    body: Any = MISSING
    try:
        route, params = resolve(req.method, req.path)
        body = parse_body(req.body, req.headers)
        if route.llm:
            chat.touch_presented_key(state, req.headers)
        caller = Caller(is_admin=True)
        if not route.public:
            seen = state if replica is None else replica.auth_state(
                state, extract_key(req.headers))
            caller = authenticate(seen, req.headers, master_key, req.path, route.admin)
        call = Call(req.method, req.path, req.query, body, caller, params)
        served = state if replica is None or req.path not in MODEL_READS else (
            replica.model_state(state))
        status, payload = route.handler(served, call)
    except ApiError as err:
        if route is not None and route.llm:
            chat.log_refused(state, req.headers, body, err)
        return (err.status, err.body), route is not None and route.llm
    return (status, payload), route.mutates and status == 200
