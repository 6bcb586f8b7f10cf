"""A proxy_admin_viewer key (LiteLLM's read-only admin role) plans exactly like the master key
and cannot apply: what the pull-request plan job relies on. The sandbox has no user roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli


@pytest.fixture
def viewer_key(gateway: Gateway) -> Iterator[str]:
    if gateway.kind != "real":
        pytest.skip("the sandbox gateway has no user roles; the real proxy checks this")
    user_id = gateway.name("viewer")
    made = gateway.call("POST", "/user/new", json={
        "user_id": user_id, "user_role": "proxy_admin_viewer",
        "key_alias": gateway.name("viewer-key")})  # namespaced: the fixture deletes the key
    try:
        yield str(made["key"])
    finally:
        gateway.call("POST", "/user/delete", json={"user_ids": [user_id]})


def test_a_viewer_key_plans_like_the_master_key_and_cannot_apply(
    gateway: Gateway, desired: Path, tmp_path: Path, viewer_key: str
) -> None:
    master = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "json")
    viewer = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "json",
                     admin_key=viewer_key)
    assert viewer.code == master.code == 0, viewer.both
    # The changes, not the whole plan: other suites' objects on a shared proxy may come and go
    # between the two reads (they are listed as untouched and move the fingerprint).
    seen, expected = json.loads(viewer.out), json.loads(master.out)
    assert seen["changes"] == expected["changes"]
    assert seen["summary"] == expected["summary"]
    assert seen["summary"]["create_key"] == 2 and seen["summary"]["create_model"] == 2
    mine = {u["name"] for u in seen["untouched"] if u["name"].startswith(gateway.prefix)}
    assert mine == {gateway.pinned_alias, gateway.unmanaged_alias, gateway.name("viewer-key")}

    refused = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl", admin_key=viewer_key)
    assert refused.code == 1
    assert "answered 403" in refused.err
    assert "read-only proxy_admin_viewer key: it can plan, not apply" in refused.err
    assert not (tmp_path / "s.jsonl").exists()
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias,
                                        gateway.name("viewer-key")}
    assert gateway.models() == {}


def test_a_viewer_key_plans_a_team_estate_like_the_master_key(
    gateway: Gateway, tmp_path: Path, viewer_key: str
) -> None:
    from tests.e2e.harness import write_desired
    from tests.e2e.test_teams import team_estate

    write_desired(tmp_path / "desired", team_estate(gateway))
    master = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "json")
    viewer = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "json",
                     admin_key=viewer_key)
    assert viewer.code == master.code == 0, viewer.both
    seen = json.loads(viewer.out)
    assert seen["changes"] == json.loads(master.out)["changes"]
    assert {"team", "user", "budget"} <= set(seen["reads"])
    assert seen["summary"]["create_team"] == 1 and seen["summary"]["create_user"] == 2
