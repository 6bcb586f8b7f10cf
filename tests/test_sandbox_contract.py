"""Contract test: replay the recorded real-proxy examples against the sandbox gateway.

Each example runs on a fresh `SandboxGateway(seed=False)`. Its state is set up by replaying
every earlier replayable example first (the recording is one session), mapping recorded
generated keys and model ids onto the sandbox's own. Then the example's request must give the
same status and the same *shape*: identical dict key sets (recursively), the same JSON types,
the same timestamp style (`Z` vs `+00:00`). Error bodies and health bodies must match exactly.

Relaxation (documented): rows of `/model/info` carry ~190 cost-map keys in `model_info` on the
real proxy. The sandbox emits only a minimal set; its keys must be a subset of the real ones and
must include MODEL_INFO_REQUIRED (where the real row has them) plus the user-supplied keys.
"""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import httpx
import pytest

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway

# Beside the repository, as the workplace lays it out (CI too): ../shared/real-gateway/examples.
EXAMPLES_DIR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "real-gateway" / "examples"
SKIPPED: dict[str, str] = {
    "27_v1_models.json": "/v1/models is not implemented by the sandbox",
    # Spend on LLM routes is contract-tested against tests/recorded/ (test_sandbox_spend_contract).
    "35_global_spend_keys.json": "the real proxy also logs some admin-route auth failures "
                                 "(a keyless /key/list), which the sandbox does not",
    "36_spend_logs.json": "same: rows for admin-route auth failures",
    "37_global_spend_report.json": "enterprise spend report is not implemented",
    "38_user_daily_activity.json": "activity endpoints are not implemented",
}
MODEL_INFO_REQUIRED = frozenset({
    "id", "db_model", "blocked", "member_auto_router", "access_via_team_ids", "direct_access",
    "pricing_overrides",
})
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")

pytestmark = pytest.mark.skipif(not EXAMPLES_DIR.is_dir(), reason="recorded examples missing")


def _all_examples() -> list[pathlib.Path]:
    return sorted(EXAMPLES_DIR.glob("*.json")) if EXAMPLES_DIR.is_dir() else []


def _load(path: pathlib.Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _user_model_info_keys() -> set[str]:
    keys: set[str] = set()
    for path in _all_examples():
        req = _load(path)["request"]
        if req["path"] == "/model/new":
            keys |= set((req["json"] or {}).get("model_info") or {})
    return keys


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _model_info_diff(real: dict[str, Any], got: dict[str, Any], where: str) -> list[str]:
    problems = [f"{where}: unexpected key {k!r}" for k in sorted(set(got) - set(real))]
    needed = (MODEL_INFO_REQUIRED | _user_model_info_keys()) & set(real)
    problems += [f"{where}: missing key {k!r}" for k in sorted(needed - set(got))]
    for key in set(got) & set(real):
        problems += shape_diff(real[key], got[key], f"{where}.{key}")
    return problems


def shape_diff(real: Any, got: Any, where: str = "$") -> list[str]:
    """Strict structural comparison; returns human-readable differences (empty = same shape)."""
    if _kind(real) != _kind(got):
        return [f"{where}: type {_kind(got)} != real {_kind(real)}"]
    if isinstance(real, dict):
        if where.endswith("].model_info") and where.startswith("$.data["):
            return _model_info_diff(real, got, where)
        problems = [f"{where}: missing key {k!r}" for k in sorted(set(real) - set(got))]
        problems += [f"{where}: unexpected key {k!r}" for k in sorted(set(got) - set(real))]
        for key in sorted(set(real) & set(got)):
            problems += shape_diff(real[key], got[key], f"{where}.{key}")
        return problems
    if isinstance(real, list):
        if len(real) != len(got):
            return [f"{where}: list length {len(got)} != real {len(real)}"]
        return [p for i, (r, g) in enumerate(zip(real, got, strict=True))
                for p in shape_diff(r, g, f"{where}[{i}]")]
    if isinstance(real, str) and _ISO.match(real):
        real_z, got_z = real.endswith("Z"), isinstance(got, str) and got.endswith("Z")
        if not _ISO.match(got) or real_z != got_z:
            return [f"{where}: timestamp style {got!r} != real {real!r}"]
    return []


class Replayer:
    """Sends recorded requests to a sandbox, rewriting recorded ids/keys to the sandbox's."""

    def __init__(self, gateway: SandboxGateway) -> None:
        self.client = httpx.Client(base_url=gateway.base_url, timeout=10)
        self.subst: dict[str, str] = {}

    def _rewrite(self, value: Any) -> Any:
        if isinstance(value, str):
            for recorded, actual in self.subst.items():
                value = value.replace(recorded, actual)
            return value
        if isinstance(value, dict):
            return {k: self._rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rewrite(v) for v in value]
        return value

    def send(self, example: dict[str, Any]) -> httpx.Response:
        req = example["request"]
        auth = req["auth"]
        headers = {}
        if auth is not None:
            auth = auth.replace("<master key>", DEFAULT_MASTER_KEY)
            headers["Authorization"] = self._rewrite(auth)
        resp = self.client.request(
            req["method"], self._rewrite(req["path"]), params=self._rewrite(req["params"]),
            json=self._rewrite(req["json"]), headers=headers,
        )
        self._learn(example, resp)
        return resp

    def _learn(self, example: dict[str, Any], resp: httpx.Response) -> None:
        recorded, path = example["response"], example["request"]["path"]
        if resp.status_code != 200 or not isinstance(recorded, dict):
            return
        body = resp.json()
        if path == "/key/generate":
            self.subst[recorded["key"]] = body["key"]
            self.subst[recorded["token"]] = body["token"]
        if path == "/model/new":
            self.subst[recorded["model_id"]] = body["model_id"]


def _replayable() -> list[pathlib.Path]:
    return [p for p in _all_examples() if p.name not in SKIPPED]


@pytest.mark.parametrize("path", _replayable(), ids=lambda p: p.stem)
def test_example_matches_real_proxy(path: pathlib.Path) -> None:
    example = _load(path)
    with SandboxGateway(seed=False) as gateway:
        replayer = Replayer(gateway)
        for earlier in _replayable():
            if earlier.name >= path.name:
                break
            replayer.send(_load(earlier))
        resp = replayer.send(example)
        assert resp.status_code == example["status"], resp.text
        got, real = resp.json(), example["response"]
        assert shape_diff(real, got) == []
        if example["status"] >= 400 or path.name.startswith(("01_", "02_")):
            assert got == replayer._rewrite(real)


def test_skip_list_only_names_existing_examples() -> None:
    names = {p.name for p in _all_examples()}
    assert set(SKIPPED) <= names


def test_shape_diff_is_strict() -> None:
    assert shape_diff({"a": 1, "b": None}, {"a": 2.5, "b": None}) == []
    assert shape_diff({"a": 1}, {"a": "1"}) != []
    assert shape_diff({"a": 1}, {"a": 1, "b": 2}) != []
    assert shape_diff({"a": None}, {"a": False}) != []
    assert shape_diff({"t": "2026-01-01T00:00:00.000000Z"},
                      {"t": "2026-01-01T00:00:00.000000+00:00"}) != []
    assert shape_diff([{"a": 1}], [{"a": 1}, {"a": 2}]) != []
