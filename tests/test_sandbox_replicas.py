"""The sandbox's replicas lag like the real proxy's (shared real-gateway README, 1.108.7, two
replicas): a key write evicts only the handling replica's cached key, Redis broadcasts blocks
and updates but not deletes, a model write reloads only the handling replica's router, and
/config/update with an empty body reloads the replica it reaches."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway

ADMIN = {"Authorization": f"Bearer {DEFAULT_MASTER_KEY}"}


def _accepts(url: str, raw: str) -> bool:
    return httpx.get(url + "/key/info", headers={"Authorization": f"Bearer {raw}"}
                     ).status_code == 200


@pytest.mark.parametrize(("redis", "path", "b_accepts"), [
    (False, "/key/block", True),     # B keeps its cached copy for 60 s
    (True, "/key/block", False),     # pub/sub eviction
    (False, "/key/delete", True),
    (True, "/key/delete", True),     # deletes are not broadcast
])
def test_a_key_write_on_a_reaches_b_as_the_real_proxy_does(
    redis: bool, path: str, b_accepts: bool
) -> None:
    with SandboxGateway(seed=False, replicas=2, redis=redis) as gateway:
        a, b = gateway.replica_urls
        raw = httpx.post(a + "/key/generate", headers=ADMIN, json={}).json()["key"]
        assert _accepts(a, raw) and _accepts(b, raw)  # both replicas cache it
        body = {"keys": [raw]} if path == "/key/delete" else {"key": raw}
        assert httpx.post(a + path, headers=ADMIN, json=body).status_code == 200
        assert not _accepts(a, raw)
        assert _accepts(b, raw) is b_accepts
        if path == "/key/block":  # the same write on B: its own eviction
            httpx.post(b + path, headers=ADMIN, json=body)
            assert not _accepts(b, raw)


def test_a_model_reaches_other_replicas_at_their_reload_or_when_told() -> None:
    with SandboxGateway(seed=False, replicas=2) as gateway:
        a, b = gateway.replica_urls
        new = {"model_name": "m", "litellm_params": {"model": "openai/x"},
               "model_info": {"id": "m-1"}}
        assert httpx.post(a + "/model/new", headers=ADMIN, json=new).status_code == 200

        def served(url: str) -> bool:
            return httpx.get(url + "/model/info", headers=ADMIN,
                             params={"litellm_model_id": "m-1"}).status_code == 200

        assert served(a) and not served(b)  # B reloads every 30 s
        assert httpx.post(b + "/config/update", headers=ADMIN, json={}).status_code == 200
        assert served(b)


def test_the_balancer_hands_each_connection_to_the_next_replica() -> None:
    with SandboxGateway(seed=False, replicas=2, load_balancer=True) as gateway:
        for _ in range(4):
            with httpx.Client() as http:  # a new connection each time
                assert http.get(gateway.lb_url + "/health/readiness").status_code == 200
        assert len(gateway.replica_urls) == 2 and gateway.base_url == gateway.lb_url
