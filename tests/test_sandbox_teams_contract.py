"""Contract: the sandbox answers the team, user and budget endpoints like the real proxy.

tests/recorded/teams/ holds the scene tests/record_teams.py recorded on LiteLLM 1.108.7. The
same script runs against the sandbox; each answer must match: the status, the error body
exactly (shape, message, type, param), and the fields the tool reads of each object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.record_teams import OUT, record

# What the tool reads of each answer (volatile values are masked in both recordings).
READ = {
    "budget": ("budget_id", "max_budget", "soft_budget", "rpm_limit", "tpm_limit",
               "max_parallel_requests", "budget_duration", "created_by"),
    "user": ("user_id", "user_email", "user_role", "user_alias", "metadata"),
    "team": ("team_id", "team_alias", "models", "max_budget", "budget_duration", "rpm_limit",
             "tpm_limit", "blocked", "metadata", "members_with_roles", "max_parallel_requests"),
}


def _pairs(directory: Path) -> dict[str, Any]:
    return {p.stem.split("_", 1)[1]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(directory.glob("*.json"))}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("teams")
    with SandboxGateway(seed=False) as gateway:
        record(gateway.base_url, DEFAULT_MASTER_KEY, out)
    return _pairs(OUT), _pairs(out)


NAMES = sorted(p.stem.split("_", 1)[1] for p in OUT.glob("*.json"))


def _object(name: str, body: Any) -> Any:
    if isinstance(body, dict) and "data" in body:
        body = body["data"]
    if isinstance(body, dict) and "user_info" in body:
        body = body["user_info"]
    if isinstance(body, list):
        return [_object(name, b) for b in body]
    fields = READ.get(name.split("_")[0])
    if not isinstance(body, dict) or fields is None:
        return body
    return {f: body.get(f) for f in fields if f in body}


def _members(body: Any) -> Any:
    if isinstance(body, dict) and "members_with_roles" in body:
        body = {**body, "members_with_roles": sorted(
            (m["user_id"], m["role"]) for m in body["members_with_roles"])}
    return body


def test_the_recording_covers_the_scene() -> None:
    assert {"team_new", "team_member_add_admin", "team_member_update_admin", "team_update",
            "team_block", "user_new", "user_update", "budget_new", "budget_update_unknown",
            "organization_new", "key_generate_tags"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_sandbox_answers_like_the_real_proxy(name: str, both: Any) -> None:
    real, sandbox = (pairs[name] for pairs in both)
    assert sandbox["status"] == real["status"]
    want, got = real["response"], sandbox["response"]
    if real["status"] != 200:
        assert got == want
    else:
        assert _members(_object(name, got)) == _members(_object(name, want))


def test_the_proxy_adds_its_creator_as_team_admin_and_drops_max_parallel_requests(
    both: Any,
) -> None:
    team = both[0]["team_new"]["response"]
    assert {"user_id": "default_user_id", "user_email": None, "role": "admin"} in \
        team["members_with_roles"]
    assert team["max_parallel_requests"] is None  # sent as 4
    assert both[0]["team_update"]["response"]["data"]["metadata"] == {"x": 1}  # replaced whole
