"""Contract: the sandbox treats internal users and their own keys like the real proxy.

tests/recorded/users/ holds the scene tests/record_users.py recorded on LiteLLM 1.108.7: an
internal user plants a key with the tool's marker (and tries to set created_by), tries to
create a key for the admin, to update keys an admin created, to add a model. The same script
runs against the sandbox; each answer must match: status, error message, and the ownership
fields of every key answer (created_by, updated_by, user_id, key_alias, metadata).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.record_users import KEY_FIELDS, OUT, record


def _pairs(directory: Path) -> dict[str, Any]:
    return {p.stem.split("_", 1)[1]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(directory.glob("*.json"))}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("users")
    with SandboxGateway(seed=False) as gateway:
        record(gateway.base_url, DEFAULT_MASTER_KEY, out)
    return _pairs(OUT), _pairs(out)


NAMES = sorted(p.stem.split("_", 1)[1] for p in OUT.glob("*.json"))


def test_the_recording_covers_the_scene() -> None:
    assert {"user_plants_key", "user_key_for_admin", "user_updates_own_key",
            "user_updates_admin_key", "user_updates_key_made_for_it", "user_adds_model",
            "user_lists_keys", "user_list_admins"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_sandbox_answers_like_the_real_proxy(name: str, both: Any) -> None:
    real, sandbox = (pairs[name] for pairs in both)
    assert sandbox["status"] == real["status"]
    want, got = real["response"], sandbox["response"]
    if isinstance(want, dict) and "error" in want:
        assert got["error"] == want["error"]
    elif name == "user_lists_keys":
        assert [k["key_alias"] for k in got["keys"]] == [k["key_alias"] for k in want["keys"]]
        assert [k["created_by"] for k in got["keys"]] == [k["created_by"] for k in want["keys"]]
        assert got["total_count"] == want["total_count"]
    elif name == "user_list_admins":
        assert got == want
    elif isinstance(want, dict) and "token" in want:
        assert {f: got.get(f) for f in KEY_FIELDS} == {f: want.get(f) for f in KEY_FIELDS}
    else:
        assert got == want or got.get("user_id") == want.get("user_id")


def test_the_planted_key_names_its_creator_not_the_admin(both: Any) -> None:
    real = both[0]["user_plants_key"]["response"]
    assert real["created_by"] == real["updated_by"] == "P-evil"
    assert real["metadata"]["managed_by"] == "reconciler/P"
