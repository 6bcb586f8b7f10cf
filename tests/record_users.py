"""Record what an internal user can and cannot write on a LiteLLM proxy, as request/response pairs.

    python -m tests.record_users URL MASTER_KEY [OUT_DIR]

The scene: an admin creates an internal user and a key for them; the user then plants a key
with the tool's marker and a fake record (trying to set `created_by` too), tries to create a
key for the admin, updates its own key, tries to update keys an admin created, lists keys and
tries to add a model. Raw keys are masked; the run's prefix becomes `P` in the files, so
tests/test_sandbox_users_contract.py can replay the scene against the sandbox and compare.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

OUT = Path(__file__).parent / "recorded" / "users"
# The fields of a key answer the tool reads to judge ownership (and what the user wrote).
KEY_FIELDS = ("key_alias", "created_by", "updated_by", "user_id", "metadata")


def record(url: str, master: str, out: Path = OUT) -> str:
    prefix = f"u{uuid.uuid4().hex[:8]}"
    out.mkdir(parents=True, exist_ok=True)
    pairs: list[tuple[str, dict[str, Any]]] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        def call(name: str, auth: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
            response = http.request(method, path, headers={"Authorization": f"Bearer {auth}"},
                                    **kw)
            pair = {"request": {"method": method, "path": path, "params": kw.get("params"),
                                "json": kw.get("json"),
                                "auth": "master" if auth == master else "internal user"},
                    "status": response.status_code, "response": response.json()}
            pairs.append((name, pair))
            return pair["response"]  # type: ignore[no-any-return]

        user = f"{prefix}-evil"
        call("user_new", master, "POST", "/user/new", json={
            "user_id": user, "user_role": "internal_user", "auto_create_key": False})
        own = call("admin_key_for_user", master, "POST", "/key/generate",
                   json={"user_id": user, "key_alias": f"{prefix}-evil-own"})
        evil = str(own["key"])
        admin_key = call("admin_key", master, "POST", "/key/generate",
                         json={"key_alias": f"{prefix}-admin"})
        marker = {"managed_by": f"reconciler/{prefix}", "reconciler_applied": {"digest": "x"}}
        planted = call("user_plants_key", evil, "POST", "/key/generate", json={
            "key_alias": f"{prefix}-victim", "created_by": "default_user_id",
            "updated_by": "default_user_id", "metadata": marker})
        call("user_key_for_admin", evil, "POST", "/key/generate",
             json={"user_id": "default_user_id", "key_alias": f"{prefix}-as-admin"})
        call("user_updates_own_key", evil, "POST", "/key/update", json={
            "key": planted["token"], "updated_by": "default_user_id",
            "metadata": {**marker, "reconciler_applied": {"digest": "y"}}})
        call("user_updates_key_made_for_it", evil, "POST", "/key/update",
             json={"key": own["token"], "metadata": marker})
        call("user_updates_admin_key", evil, "POST", "/key/update",
             json={"key": admin_key["token"], "metadata": marker})
        call("user_lists_keys", evil, "GET", "/key/list",
             params={"return_full_object": "true", "size": 100})
        call("user_adds_model", evil, "POST", "/model/new", json={
            "model_name": f"{prefix}-m", "litellm_params": {"model": "openai/x"},
            "model_info": {"id": f"{prefix}-m", "managed_by": "reconciler"}})
        call("user_list_admins", master, "GET", "/user/list",
             params={"role": "proxy_admin", "page": 1, "page_size": 100})
        tokens = [own["token"], admin_key["token"], planted["token"]]
        http.post("/key/delete", json={"keys": tokens},
                  headers={"Authorization": f"Bearer {master}"})
        call("user_delete", master, "POST", "/user/delete", json={"user_ids": [user]})
    for index, (name, pair) in enumerate(pairs, 1):
        if isinstance(pair["response"], dict) and str(pair["response"].get("key", "")) \
                .startswith("sk-"):
            pair["response"]["key"] = "sk-...masked"  # a raw key is never recorded
        text = json.dumps(pair, indent=1, ensure_ascii=False).replace(evil, "sk-...evil")
        (out / f"{index:02d}_{name}.json").write_text(text.replace(prefix, "P") + "\n")
    return prefix


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2], Path(sys.argv[3]) if len(sys.argv) > 3 else OUT)
