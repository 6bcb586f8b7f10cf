"""Behaviour tests for the sandbox gateway's traps (LITELLM_ADMIN_API.md §2-§4, §10)."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SILEYA_KEY, SandboxGateway

SILEYA_HASH = "adc2002693139bd23b165288bc59fd91634c5e2b8d3ab34bdf3ed5d9a41626d8"
ADMIN = {"Authorization": f"Bearer {DEFAULT_MASTER_KEY}"}


@pytest.fixture
def gw() -> Iterator[SandboxGateway]:
    with SandboxGateway() as gateway:
        yield gateway


@pytest.fixture
def api(gw: SandboxGateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gw.base_url, headers=ADMIN, timeout=10) as client:
        yield client


def _gen(api: httpx.Client, **body: object) -> dict:
    resp = api.post("/key/generate", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_seed_sileya_key_legacy_key_and_config_model(api: httpx.Client) -> None:
    assert hashlib.sha256(SILEYA_KEY.encode()).hexdigest() == SILEYA_HASH
    info = api.get("/key/info", params={"key": SILEYA_HASH}).json()["info"]
    assert info["key_alias"] == "sileya" and info["status"] == "active"
    assert info["metadata"] == {"owner": "sileya", "role": "admin-agent"}
    assert info["blocked"] is None and info["models"] == []
    legacy = api.get("/key/list", params={"key_alias": "legacy-batch-job",
                                          "return_full_object": "true"}).json()["keys"]
    assert [k["models"] for k in legacy] == [["MiniMax-M2.7"]]
    (model,) = api.get("/model/info").json()["data"]
    params = {"model": "minimax/MiniMax-M2.7", "api_key": "os.environ/MINIMAX_API_KEY",
              "api_base": "https://api.minimax.io/v1"}
    concat = "MiniMax-M2.7" + "".join(k + v for k, v in params.items())
    assert model["model_info"]["id"] == hashlib.sha256(concat.encode()).hexdigest()
    assert model["model_info"]["db_model"] is False and "blocked" not in model["model_info"]
    assert "api_key" not in model["litellm_params"]


def test_sileya_key_can_read_itself_but_not_admin_routes(gw: SandboxGateway) -> None:
    with httpx.Client(base_url=gw.base_url, headers={"Authorization": f"Bearer {SILEYA_KEY}"}) as c:
        assert c.get("/key/info").json()["key"] == SILEYA_HASH
        resp = c.post("/key/generate", json={})
    assert resp.status_code == 401
    assert "Only proxy admin" in resp.json()["error"]["message"]


def test_auth_errors(gw: SandboxGateway) -> None:
    url = gw.base_url + "/key/list"
    cases = {
        None: "Authentication Error, No api key passed in.",
        "sk-sandbox-master-key": "Authentication Error, Malformed API Key passed in. "
                                 "Ensure Key has `Bearer ` prefix.",
        "Bearer nope-not-a-key": "LiteLLM Virtual Key expected. Received=nope****-key, "
                                 "expected to start with 'sk-'.",
        "Bearer sk-unknown-key-123": "Authentication Error, Invalid API key provided.",
    }
    for header, message in cases.items():
        resp = httpx.get(url, headers={"Authorization": header} if header else {})
        assert resp.status_code == 401
        assert resp.json()["error"]["message"] == message
        assert resp.json()["error"]["code"] == "401"
    alt = httpx.get(url, headers={"x-litellm-api-key": DEFAULT_MASTER_KEY})
    assert alt.status_code == 200
    unknown = {"Authorization": "Bearer sk-unknown-key-123"}
    bad_schema = httpx.post(gw.base_url + "/key/generate", json={"models": 5}, headers=unknown)
    assert bad_schema.status_code == 401  # auth runs before body validation...
    bad_json = httpx.post(gw.base_url + "/key/generate", content=b"{bad",
                          headers={**unknown, "Content-Type": "application/json"})
    assert bad_json.status_code == 422  # ...but after JSON decoding, as observed live
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"


def test_unknown_path_and_wrong_method(api: httpx.Client) -> None:
    assert api.get("/nope").json() == {"detail": "Not Found"}
    resp = api.get("/key/generate")
    assert resp.status_code == 405 and resp.json() == {"detail": "Method Not Allowed"}


def test_alias_uniqueness(api: httpx.Client) -> None:
    first = _gen(api, key_alias="svc-a")
    dup = api.post("/key/generate", json={"key_alias": "svc-a"})
    assert dup.status_code == 400
    assert dup.json()["error"] == {
        "message": "Key with alias 'svc-a' already exists. Unique key aliases across all keys "
                   "are required.", "type": "bad_request_error", "param": "key_alias",
        "code": "400"}
    second = _gen(api, key_alias="svc-b")
    rename = api.post("/key/update", json={"key": second["token"], "key_alias": "svc-a"})
    assert rename.status_code == 400
    same = api.post("/key/update", json={"key": first["key"], "key_alias": "svc-a"})
    assert same.status_code == 200 and same.json()["key"] == first["key"]
    api.post("/key/delete", json={"key_aliases": ["svc-a"]})
    assert _gen(api, key_alias="svc-a")["key_alias"] == "svc-a"  # archive does not collide


def test_blocked_tri_state_and_status(api: httpx.Client) -> None:
    key = _gen(api, key_alias="tri")
    assert key["blocked"] is None
    blocked = api.post("/key/block", json={"key": key["token"]}).json()
    assert blocked["blocked"] is True and "org_id" in blocked
    assert api.get("/key/info", params={"key": key["key"]}).json()["info"]["status"] == "revoked"
    again = api.post("/key/block", json={"key": key["key"]})
    assert again.status_code == 200  # idempotent
    unblocked = api.post("/key/unblock", json={"key": key["key"]}).json()
    assert unblocked["blocked"] is False
    assert api.get("/key/info", params={"key": key["token"]}).json()["info"]["status"] == "active"
    bad = api.post("/key/block", json={"key": "sk-has.dot-in-it"})
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Invalid key format."
    assert _gen(api, key_alias="pre-blocked", blocked=True)["blocked"] is True


def test_blocked_key_rejected_everywhere(gw: SandboxGateway, api: httpx.Client) -> None:
    key = _gen(api, key_alias="b")
    api.post("/key/block", json={"key": key["key"]})
    resp = httpx.get(gw.base_url + "/key/info", headers={"Authorization": f"Bearer {key['key']}"})
    assert resp.status_code == 401 and "Key is blocked" in resp.json()["error"]["message"]


def test_update_merge_patch_and_selection(api: httpx.Client) -> None:
    key = _gen(api, key_alias="m", metadata={"a": 1, "b": 2}, models=["x"], max_budget=3)
    resp = api.post("/key/update", json={"key_alias": "m", "metadata": {"c": 3}})
    body = resp.json()
    assert body["key"] == key["token"] and body["metadata"] == {"c": 3}
    assert body["models"] == ["x"] and body["max_budget"] == 3.0
    assert body["updated_at"].endswith("+00:00")
    missing = api.post("/key/update", json={"key_alias": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "key_alias"
    assert api.post("/key/update", json={"models": []}).status_code == 422
    bad_duration = api.post("/key/update", json={"key": key["token"], "duration": "zzz"})
    message = bad_duration.json()["error"]["message"]
    assert message == "Authentication Error, Invalid duration format"


def test_deleted_key_info_and_list(api: httpx.Client) -> None:
    key = _gen(api, key="sk-custom-key-0001", key_alias="gone")
    partial = api.post("/key/delete", json={"keys": [key["key"], "sk-never-existed-1234"]})
    assert partial.json() == {"deleted_keys": [key["key"], "sk-never-existed-1234"]}
    info = api.get("/key/info", params={"key": key["token"]}).json()["info"]
    assert info["status"] == "deleted" and "token" not in info and "deleted_at" in info
    listed = api.get("/key/list", params={"key_alias": "gone"}).json()
    assert listed == {"keys": [], "total_count": 0, "current_page": 1, "total_pages": 0}
    assert api.post("/key/update", json={"key": key["token"]}).status_code == 404
    none = api.post("/key/delete", json={"keys": ["sk-never-existed-1234"]})
    assert none.status_code == 404
    assert none.json()["error"]["message"] == "{'error': 'No keys found'}"
    assert api.post("/key/delete", json={}).status_code == 422
    assert _gen(api, key="sk-custom-key-0001")["token"] == key["token"]  # can be recreated


def test_custom_key_rules_and_silent_duplicate(gw: SandboxGateway, api: httpx.Client) -> None:
    short = api.post("/key/generate", json={"key": "sk-fifteen-char"})
    assert short.status_code == 400
    assert "at least 16 characters" in short.json()["error"]["message"]
    no_prefix = api.post("/key/generate", json={"key": "xk-long-enough-key"})
    assert no_prefix.status_code == 400
    assert "start with 'sk-'" in no_prefix.json()["error"]["message"]
    first = _gen(api, key="sk-pinned-key-0001", key_alias="pinned", models=["a"])
    before = gw.snapshot_key(first["token"])
    again = _gen(api, key="sk-pinned-key-0001", key_alias="other", models=["b"])
    assert again["models"] == ["b"] and again["created_at"] == first["created_at"]
    assert gw.snapshot_key(first["token"]) == before  # nothing persisted
    assert api.post("/key/generate", json={"tags": ["t"]}).status_code == 403
    assert api.post("/key/generate", json={"max_budget": -1}).status_code == 400
    bad = api.post("/key/generate", json={"duration": "banana"})
    assert bad.status_code == 500 and bad.json()["error"]["message"] == "Invalid duration format"


def test_paging_limits(api: httpx.Client) -> None:
    for i in range(3):
        _gen(api, key_alias=f"p{i}")
    too_big = api.get("/key/list", params={"size": 101})
    assert too_big.status_code == 422
    assert too_big.json() == {"detail": [{"type": "less_than_equal", "loc": ["query", "size"],
                                          "msg": "Input should be less than or equal to 100"}]}
    assert api.get("/key/list", params={"page": 0}).status_code == 422
    page = api.get("/key/list", params={"size": 2, "page": 2}).json()
    assert page["total_count"] == 5 and page["total_pages"] == 3 and len(page["keys"]) == 2
    assert api.get("/key/list", params={"page": 9}).json()["keys"] == []
    newest = api.get("/key/list", params={"size": 1, "return_full_object": "true"}).json()
    assert newest["keys"][0]["key_alias"] == "p2" and newest["keys"][0]["created_at"].endswith("Z")


def test_model_lifecycle_and_read_only_config(api: httpx.Client) -> None:
    body = {"model_name": "m", "litellm_params": {"model": "openai/x", "api_key": "sk-secret",
            "custom_token": "abcdefghijkl", "custom_foo": "bar", "tpm": 1},
            "model_info": {"id": "mid-1", "mode": "chat"}}
    created = api.post("/model/new", json=body).json()
    assert created["litellm_params"]["api_key"] != "sk-secret"
    dup = api.post("/model/new", json=body)
    assert dup.status_code == 500 and dup.json()["error"]["type"] == "auth_error"
    patched = api.patch("/model/mid-1/update", json={"litellm_params": {"tpm": None, "rpm": 2},
                                                     "model_info": {"id": "mid-1", "x": 1}})
    assert patched.json()["litellm_params"]["tpm"] == 1  # null is ignored, as live
    row = api.get("/model/info", params={"litellm_model_id": "mid-1"}).json()["data"][0]
    assert row["litellm_params"]["custom_token"] == "abcd****ijkl"
    assert "api_key" not in row["litellm_params"] and row["model_info"]["x"] == 1
    assert row["model_info"]["db_model"] is True and row["model_info"]["blocked"] is False
    api.post("/model/update", json={"litellm_params": {"rpm": 3}, "model_info": {"id": "mid-1"}})
    row = api.get("/model/info", params={"litellm_model_id": "mid-1"}).json()["data"][0]
    assert "custom_foo" not in row["litellm_params"] and row["litellm_params"]["rpm"] == 3
    missing = [{}, {"model_name": "m"}, {"litellm_params": {"model": "a/b"}}]
    assert {api.post("/model/new", json=b).status_code for b in missing} == {500}
    no_model = api.post("/model/new", json={"model_name": "m", "litellm_params": {}})
    assert no_model.status_code == 422
    config_id = api.get("/model/info").json()["data"][0]["model_info"]["id"]
    update = api.post("/model/update", json={"litellm_params": {"rpm": 1},
                                             "model_info": {"id": config_id}})
    assert update.status_code == 400
    assert api.patch(f"/model/{config_id}/update", json={}).status_code == 400
    assert api.post("/model/delete", json={"id": config_id}).status_code == 400
    assert api.patch("/model/nope/update", json={}).status_code == 404
    unknown = api.get("/model/info", params={"litellm_model_id": "nope"})
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": {"error": "Model id = nope not found on litellm proxy"}}
    assert api.post("/model/delete", json={"id": "mid-1"}).status_code == 200
    assert api.post("/model/delete", json={"id": "mid-1"}).status_code == 400


def test_router_settings_fallbacks(api: httpx.Client) -> None:
    fallbacks = [{"a": ["b"]}]
    ok = api.post("/config/update", json={"router_settings": {"fallbacks": fallbacks}})
    assert ok.json() == {"message": "Config updated successfully"}
    api.post("/config/update", json={"router_settings": {"fallbacks": None, "num_retries": 4}})
    settings = api.get("/get/config/callbacks").json()["router_settings"]
    assert settings["fallbacks"] == fallbacks and settings["num_retries"] == 4
    api.post("/config/update", json={"router_settings": {"fallbacks": []}})
    assert api.get("/get/config/callbacks").json()["router_settings"]["fallbacks"] == []
    bad = api.post("/config/update", json={"router_settings": {"bogus": 1}})
    assert bad.status_code == 400
    assert "Unsupported router settings" in bad.json()["error"]["message"]


def test_fault_injection(gw: SandboxGateway, api: httpx.Client) -> None:
    gw.inject_fault(method="POST", path="/key/generate", status=503, times=2, skip=1)
    assert api.post("/key/generate", json={"key_alias": "f0"}).status_code == 200
    for alias in ("f1", "f2"):
        resp = api.post("/key/generate", json={"key_alias": alias})
        assert resp.status_code == 503
        assert resp.json() == {"error": {"message": "Injected fault", "type":
                                         "internal_server_error", "param": None, "code": "503"}}
    assert api.get("/key/list", params={"key_alias": "f1"}).json()["total_count"] == 0
    assert api.post("/key/generate", json={"key_alias": "f3"}).status_code == 200
    gw.inject_fault(method="GET", path="/health/readiness", delay=0.3)
    start = time.monotonic()
    assert api.get("/health/readiness").status_code == 500
    assert time.monotonic() - start >= 0.3
    assert gw.requests[-1] == ("GET", "/health/readiness")
    assert ("GET", "/key/list") in gw.requests


def test_state_file_round_trip(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "state" / "sandbox.json"
    with SandboxGateway(state_file=path) as first:
        with httpx.Client(base_url=first.base_url, headers=ADMIN) as api:
            key = _gen(api, key_alias="persisted", metadata={"x": 1})
            api.post("/model/new", json={"model_name": "m", "litellm_params": {"model": "a/b"},
                                         "model_info": {"id": "kept"}})
            api.post("/config/update", json={"router_settings": {"fallbacks": [{"m": ["n"]}]}})
        snapshot = first.snapshot_key(key["token"])
    assert json.loads(path.read_text())["keys"][key["token"]]["key_alias"] == "persisted"
    assert [p.name for p in path.parent.iterdir()] == ["sandbox.json"]  # no temp files left
    with SandboxGateway(state_file=path, seed=False) as second:
        assert second.snapshot_key(key["token"]) == snapshot
        with httpx.Client(base_url=second.base_url, headers=ADMIN) as api:
            ids = [m["model_info"]["id"] for m in api.get("/model/info").json()["data"]]
            callbacks = api.get("/get/config/callbacks").json()
        assert "kept" in ids and callbacks["router_settings"]["fallbacks"] == [{"m": ["n"]}]
        assert second.snapshot_key(SILEYA_HASH) is not None


def test_chat_completion_access(gw: SandboxGateway, api: httpx.Client) -> None:
    key = _gen(api, models=["MiniMax-M2.7"])
    with httpx.Client(base_url=gw.base_url,
                      headers={"Authorization": f"Bearer {key['key']}"}) as client:
        msg = [{"role": "user", "content": "hi"}]
        ok = client.post("/chat/completions", json={"model": "MiniMax-M2.7", "messages": msg})
        denied = client.post("/chat/completions", json={"model": "other", "messages": msg})
    assert ok.status_code == 200 and ok.json()["object"] == "chat.completion"
    assert denied.status_code == 403
    assert api.get("/key/info", params={"key": key["token"]}).json()["info"]["spend"] > 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prints_url_and_stops_on_sigterm() -> None:
    port = _free_port()
    env = {**os.environ, "SANDBOX_MASTER_KEY": "sk-secret-master-for-test"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler.sandbox", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == f"sandbox gateway listening on http://127.0.0.1:{port}"
        resp = httpx.get(f"http://127.0.0.1:{port}/key/list",
                         headers={"Authorization": "Bearer sk-secret-master-for-test"})
        assert resp.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "sk-secret" not in (proc.stdout.read() if proc.stdout else "")
    finally:
        if proc.poll() is None:
            proc.kill()
