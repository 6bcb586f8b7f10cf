"""Contract: the sandbox answers spend, spend-log and 529-fallback requests like the real proxy.

tests/recorded/ holds pairs recorded from a real LiteLLM proxy (1.108.7) by tests/record_spend.py:
real priced traffic through tests/upstream.py, a deployment answering 529 with a fallback, a
blocked key and an unknown key. Here the same script runs against the sandbox, and each pair
must match the real one: the same status, the same error bodies, the same fields (spend log
`metadata` may hold fewer fields, never others), and the same figures (spend, tokens, fallbacks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.record_spend import OUT, record

READ_BY_THE_TOOL = {"status", "user_api_key", "user_api_key_alias", "attempted_fallbacks",
                    "original_model_group", "error_information"}


def _pairs(directory: Path, prefix: str) -> dict[str, Any]:
    pairs = {}
    for path in sorted(directory.glob("*.json")):
        text = path.read_text(encoding="utf-8").replace(prefix, "P")
        pairs[path.stem.split("_", 1)[1]] = json.loads(text)
    return pairs


def _real_prefix() -> str:
    model = json.loads(next(OUT.glob("*_chat_priced.json")).read_text())["request"]["json"]
    return str(model["model"]).rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path_factory.mktemp("sandbox-recording")
    with SandboxGateway(seed=False) as gateway:
        prefix = record(gateway.base_url, DEFAULT_MASTER_KEY, out, settle=0)
    return _pairs(OUT, _real_prefix()), _pairs(out, prefix)


NAMES = sorted(p.stem.split("_", 1)[1] for p in OUT.glob("*.json"))


def test_the_recording_covers_the_scenes() -> None:
    assert {"chat_priced", "chat_fallback_529", "chat_blocked_key", "spend_logs_v2_key",
            "global_spend", "global_spend_keys", "spend_logs_summary"} <= set(NAMES)


def test_no_raw_key_was_recorded() -> None:
    for path in OUT.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert "sk-master" not in text
        assert not [w for w in text.replace('"', " ").split() if w.startswith("sk-")
                    and not w.startswith("sk-...")], path.name


@pytest.mark.parametrize("name", NAMES)
def test_same_status_and_error_body(name: str, both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = (side[name] for side in both)
    assert sandbox["status"] == real["status"], sandbox["response"]
    if real["status"] >= 400:
        assert sandbox["response"] == real["response"]


def test_priced_reply_and_spend(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = both
    for name in ("chat_priced", "chat_fallback_529"):
        assert set(sandbox[name]["response"]) == set(real[name]["response"])
        assert sandbox[name]["response"]["usage"] == real[name]["response"]["usage"]
    info = [side["key_info_after_traffic"]["response"]["info"] for side in both]
    assert info[1]["spend"] == pytest.approx(info[0]["spend"], rel=1e-9)
    assert info[1]["spend"] > 0


def test_global_spend_shapes(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = both
    assert set(sandbox["global_spend"]["response"]) == set(real["global_spend"]["response"])
    assert sandbox["global_spend"]["response"]["max_budget"] == 0.0
    rows = [side["global_spend_keys"]["response"] for side in both]
    assert rows[1] and {frozenset(r) for r in rows[1]} == {frozenset(r) for r in rows[0]}


def _facts(row: dict[str, Any]) -> tuple[Any, ...]:
    meta = row["metadata"]
    return (row["model_group"], row["model_id"], row["status"], round(row["spend"], 12),
            row["prompt_tokens"], row["completion_tokens"], meta["attempted_fallbacks"],
            meta["original_model_group"])


def test_spend_logs_rows_match(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = (side["spend_logs_v2_key"]["response"] for side in both)
    assert set(sandbox) == set(real)
    assert sandbox["total"] == real["total"] == 3
    for got, want in zip(sandbox["data"], real["data"], strict=True):
        assert set(got) == set(want)
        assert set(got["metadata"]) <= set(want["metadata"])
        assert set(got["metadata"]) >= READ_BY_THE_TOOL
    # The 529 scene: the row names the group that served and the one the caller asked for.
    assert sorted(map(_facts, sandbox["data"])) == sorted(map(_facts, real["data"]))
    assert ("P-good", "P-ok", "success", 7.2e-05, 12, 30, 1, "P-busy") in map(
        _facts, real["data"])


def test_refused_requests_are_logged(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = (side["spend_logs_v2_blocked_key"]["response"]["data"] for side in both)
    assert len(sandbox) == len(real) == 1
    for rows in (real, sandbox):
        assert rows[0]["status"] == "failure" and rows[0]["spend"] == 0
        assert "Key is blocked" in rows[0]["metadata"]["error_information"]["error_message"]


def test_paging_and_daily_summary(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    real, sandbox = (side["spend_logs_v2_page_size_1"]["response"] for side in both)
    for page in (real, sandbox):
        assert (page["total"], page["page"], page["total_pages"], len(page["data"])) == (3, 2, 3, 1)
    real, sandbox = (side["spend_logs_summary"]["response"] for side in both)
    assert len(sandbox) == len(real)
    assert [len(day) for day in sandbox] == [len(day) for day in real]
    assert sandbox[0]["spend"] == pytest.approx(real[0]["spend"], rel=1e-9)
