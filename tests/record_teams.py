"""Record how a LiteLLM proxy answers the team, user and budget endpoints, as request/response
pairs.

    python -m tests.record_teams URL MASTER_KEY [OUT_DIR]

The scene: a budget, a user and a team with a member are created, changed, blocked and
deleted, with every refusal the tool must understand on the way (a duplicate id, a team
admin without a licence, an unknown id, organizations and key tags without a licence).
The run's prefix becomes `P` in the files and volatile values (times, generated ids) are
masked, so tests/test_sandbox_teams_contract.py can replay the scene against the sandbox.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

OUT = Path(__file__).parent / "recorded" / "teams"
_VOLATILE = re.compile(r'"(created_at|updated_at|budget_reset_at|id|model_id|token|key|'
                       r'expires|key_name|litellm_budget_table|token_id)": ("[^"]*"|\d+)')


def record(url: str, master: str, out: Path = OUT) -> str:
    prefix = f"r{uuid.uuid4().hex[:8]}"
    out.mkdir(parents=True, exist_ok=True)
    pairs: list[tuple[str, dict[str, Any]]] = []
    with httpx.Client(base_url=url, timeout=30,
                      headers={"Authorization": f"Bearer {master}"}) as http:
        def call(name: str, method: str, path: str, **kw: Any) -> Any:
            response = http.request(method, path, **kw)
            pairs.append((name, {"request": {"method": method, "path": path,
                                             "params": kw.get("params"), "json": kw.get("json")},
                                 "status": response.status_code, "response": response.json()}))
            return response.json()

        budget, user, team = f"reconciler/{prefix}:b", f"{prefix}-alice", f"{prefix}-team"
        call("budget_new", "POST", "/budget/new",
             json={"budget_id": budget, "max_budget": 10, "rpm_limit": 5})
        call("budget_new_duplicate", "POST", "/budget/new", json={"budget_id": budget})
        call("budget_update", "POST", "/budget/update",
             json={"budget_id": budget, "max_budget": None, "tpm_limit": 7})
        call("budget_update_unknown", "POST", "/budget/update",
             json={"budget_id": f"{prefix}-none", "max_budget": 1})
        call("budget_info", "POST", "/budget/info", json={"budgets": [budget]})
        call("user_new", "POST", "/user/new", json={
            "user_id": user, "user_email": "alice@example.com", "user_role": "internal_user",
            "metadata": {"managed_by": f"reconciler/{prefix}"}, "auto_create_key": False})
        call("user_update", "POST", "/user/update",
             json={"user_id": user, "user_email": "a2@example.com"})
        call("user_info", "GET", "/user/info", params={"user_id": user})
        call("user_info_unknown", "GET", "/user/info", params={"user_id": f"{prefix}-none"})
        call("team_new", "POST", "/team/new", json={
            "team_id": team, "team_alias": f"{prefix}-research", "models": ["m1"],
            "max_budget": 100, "budget_duration": "30d", "max_parallel_requests": 4,
            "metadata": {"managed_by": f"reconciler/{prefix}"},
            "members_with_roles": [{"user_id": user, "role": "user"}]})
        call("team_new_with_admin", "POST", "/team/new", json={
            "team_id": f"{team}-2", "team_alias": f"{prefix}-admins",
            "members_with_roles": [{"user_id": user, "role": "admin"}]})
        call("team_new_duplicate", "POST", "/team/new",
             json={"team_id": team, "team_alias": "again"})
        call("team_member_add_admin", "POST", "/team/member_add", json={
            "team_id": team, "member": [{"user_id": f"{prefix}-bob", "role": "admin"}]})
        call("team_member_add", "POST", "/team/member_add", json={
            "team_id": team, "member": [{"user_id": f"{prefix}-bob", "role": "user"}]})
        call("team_member_add_again", "POST", "/team/member_add", json={
            "team_id": team, "member": [{"user_id": f"{prefix}-bob", "role": "user"}]})
        call("team_member_update_admin", "POST", "/team/member_update",
             json={"team_id": team, "user_id": f"{prefix}-bob", "role": "admin"})
        call("team_member_delete", "POST", "/team/member_delete",
             json={"team_id": team, "user_id": f"{prefix}-bob"})
        call("team_update", "POST", "/team/update", json={
            "team_id": team, "metadata": {"x": 1}, "model_aliases": {"fast": "m1"},
            "max_parallel_requests": 3, "max_budget": None})
        call("team_block", "POST", "/team/block", json={"team_id": team})
        call("team_unblock", "POST", "/team/unblock", json={"team_id": team})
        call("team_update_blocked", "POST", "/team/update",
             json={"team_id": team, "blocked": True})
        call("team_block_unknown", "POST", "/team/block", json={"team_id": f"{prefix}-none"})
        call("team_update_unknown", "POST", "/team/update",
             json={"team_id": f"{prefix}-none", "max_budget": 1})
        call("team_info_unknown", "GET", "/team/info", params={"team_id": f"{prefix}-none"})
        call("team_list_page_over", "GET", "/v2/team/list", params={"page_size": 101})
        call("organization_new", "POST", "/organization/new",
             json={"organization_alias": f"{prefix}-org"})
        call("key_generate_tags", "POST", "/key/generate",
             json={"key_alias": f"{prefix}-tagged", "tags": ["a"]})
        call("team_delete", "POST", "/team/delete", json={"team_ids": [team, f"{team}-2"]})
        call("team_delete_unknown", "POST", "/team/delete", json={"team_ids": [team]})
        call("user_delete", "POST", "/user/delete", json={"user_ids": [user, f"{prefix}-bob"]})
        call("budget_delete", "POST", "/budget/delete", json={"id": budget})
        call("budget_delete_unknown", "POST", "/budget/delete", json={"id": budget})
    for index, (name, pair) in enumerate(pairs, 1):
        text = json.dumps(pair, indent=1, ensure_ascii=False, sort_keys=True)
        text = _VOLATILE.sub(lambda m: f'"{m.group(1)}": "(masked)"', text)
        (out / f"{index:02d}_{name}.json").write_text(text.replace(prefix, "P") + "\n")
    return prefix


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2], Path(sys.argv[3]) if len(sys.argv) > 3 else OUT)
