"""Property: whatever a target folder holds, laid over the shipped desired/, `validate` ends in
exit 0 or clean `FILE:LINE: field: message` lines, and the shared pinned key stays pinned."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from reconciler.commands.sources import read_sources, read_target
from reconciler.core.input.targets import load_target
from tests.unit.test_validate_property import CI, JSON_TREE, PROBLEM, SHIPPED, SUMMARY, _run

NAMES = st.sampled_from(["李狗蛋", "妮可", "sileya", "minimax-m2-5", "nobody", ""])
FIELDS = st.sampled_from(["name", "id", "models", "max_budget", "blocked", "metadata",
                          "litellm_params", "model_info", "owner", "pinned", "x"])
VALUES = JSON_TREE | st.sampled_from([
    ["MiniMax-M2.5"], ["MiniMax-M9"], {"model": "minimax/M", "api_key": "sk-live-abcdef123456"},
    {"model": "minimax/M", "api_key": "os.environ/LITELLM_MASTER_KEY"}, 5, "5", True,
])
OVERRIDES = st.fixed_dictionaries({}, optional={
    "agents": st.dictionaries(NAMES, st.dictionaries(FIELDS, VALUES, max_size=3), max_size=2),
    "models": st.dictionaries(NAMES, st.dictionaries(FIELDS, VALUES, max_size=3), max_size=2),
}) | JSON_TREE
SECTIONS = st.fixed_dictionaries({}, optional={
    "overrides": OVERRIDES,
    "gateway": st.sampled_from([{"base_url_env": "A", "admin_key_env": "B"}, {"base_url_env": ""},
                                "https://u:p@h"]) | JSON_TREE,
    "pinned": st.sampled_from([[], [{"alias": "sileya"}], None]) | JSON_TREE,
    "settings": st.sampled_from([{"scope": "stg"}, {}]) | JSON_TREE,
    "agents": st.sampled_from([[{"name": "sileya", "owner": "x", "models": ["MiniMax-M2.5"]}],
                               [{"name": "t", "owner": "x", "models": ["MiniMax-M2.5"]}]]),
    "config_models": st.sampled_from([[], ["MiniMax-M2.7"]]) | JSON_TREE,
    "fallbacks": st.sampled_from([{}, None]) | JSON_TREE,
    "policy": st.sampled_from([{"allowed_env": ["*"]}]) | JSON_TREE,
})


@CI
@given(st.lists(SECTIONS, min_size=1, max_size=2))
def test_generated_targets_end_cleanly_and_never_unpin(files: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "desired"
        shutil.copytree(SHIPPED, root)
        for i, content in enumerate(files):
            path = root / "targets" / "stg" / f"t{i}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
        code, err = _run(["validate", "--desired", str(root)])
        assert code in (0, 1), err
        if code == 1:
            *problems, summary = err.splitlines()
            assert SUMMARY.match(summary), err
            assert problems and all(PROBLEM.match(line) for line in problems), err
            return
        loaded = load_target("stg", read_sources(root), read_target(root, "stg"))
        assert "sileya" in {p.alias for p in loaded.estate.pinned}
        assert "sileya" not in {a.name for a in loaded.estate.agents}
