"""--target on the command line: which files are read, which gateway is used, what is refused."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reconciler.commands.cli import main
from reconciler.commands.sources import read_sources
from reconciler.commands.targets import desired_tree

SHARED = """\
pinned: [{alias: sileya}]
config_models: [M]
agents:
  - {name: a, owner: o, models: [M]}
"""
STAGING = """\
gateway: {base_url_env: STG_URL, admin_key_env: STG_KEY}
settings: {scope: staging}
agents:
  - {name: tester, owner: qa, models: [M]}
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("LITELLM_BASE_URL", "LITELLM_ADMIN_KEY", "STG_URL", "STG_KEY"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "desired"
    (root / "targets" / "stg").mkdir(parents=True)
    (root / "targets" / "prd").mkdir()
    (root / "shared.yaml").write_text(SHARED, encoding="utf-8")
    (root / "targets" / "stg" / "main.yaml").write_text(STAGING, encoding="utf-8")
    (root / "targets" / "prd" / "main.yaml").write_text("settings: {scope: prod}\n",
                                                       encoding="utf-8")
    (root / "targets" / "README.md").write_text("# notes\n", encoding="utf-8")
    return root


def _args(tree: Path, target: str | None, **flags: str | None) -> argparse.Namespace:
    return argparse.Namespace(desired=tree, target=target, base_url=flags.get("base_url"),
                              admin_key=flags.get("admin_key"))


def test_the_shared_tree_never_reads_targets(tree: Path) -> None:
    assert [Path(s.name).name for s in read_sources(tree)] == ["shared.yaml"]


def test_validate_without_target_checks_every_target(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--desired", str(tree)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "target prd is valid: 1 agent(s), 0 model(s), 1 pinned key(s)",
        "target stg is valid: 2 agent(s), 0 model(s), 1 pinned key(s)",
    ]
    assert main(["validate", "--desired", str(tree), "--target", "stg"]) == 0
    assert capsys.readouterr().out == "target stg is valid: 2 agent(s), 0 model(s), " \
        "1 pinned key(s)\n"


def test_a_broken_target_fails_validate_with_its_file_and_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tree / "targets" / "prd" / "agents.yaml"
    bad.write_text("agents:\n  - {name: a, owner: o, models: [M]}\n", encoding="utf-8")
    assert main(["validate", "--desired", str(tree)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: agents[a].name: 'a' is defined twice (first at {tree / 'shared.yaml'}:4)" \
        in err


@pytest.mark.parametrize(("argv", "message"), [
    (["plan"], "has targets (prd, stg): choose one with --target NAME"),
    (["plan", "--target", "nope"], "no such target (targets here: prd, stg)"),
    (["plan", "--target", "stg"], "target 'stg' reads its gateway from $STG_URL, which is not set"),
    (["plan", "--target", "stg", "--base-url", "http://127.0.0.1:8"],
     "target 'stg' names its gateway ($STG_URL): leave out --base-url"),
    (["health", "--target", "stg"], "reads its gateway from $STG_URL, which is not set"),
    (["usage", "--target", "stg"], "reads its gateway from $STG_URL, which is not set"),
    (["apply", "--target", "stg", "--auto-approve"],
     "reads its gateway from $STG_URL, which is not set"),
])
def test_refused_before_any_gateway_call(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    argv: list[str], message: str,
) -> None:
    # LITELLM_* points at a port nothing listens on: reaching it would be a different error.
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LITELLM_ADMIN_KEY", "sk-other-gateway")
    assert main([*argv, "--desired", str(tree)]) == 1
    assert message in capsys.readouterr().err


def test_the_target_binds_its_own_variables(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STG_URL", "http://127.0.0.1:4100")
    monkeypatch.setenv("STG_KEY", "sk-staging")
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:4000")
    monkeypatch.setenv("LITELLM_ADMIN_KEY", "sk-production")
    args = _args(tree, "stg", base_url="http://127.0.0.1:4000", admin_key="sk-production")
    loaded = desired_tree(args)
    assert (args.base_url, args.admin_key) == ("http://127.0.0.1:4100", "sk-staging")
    assert {a.name for a in loaded.estate.agents} == {"a", "tester"}
    assert loaded.estate.settings.scope == "staging"
    assert desired_tree(args) is loaded  # read once per run
    assert capsys.readouterr().err == "target stg: gateway from $STG_URL\n"
    # A target that names no gateway keeps LITELLM_* (or the flags).
    prd = _args(tree, "prd", base_url="http://127.0.0.1:4000", admin_key="sk-production")
    assert desired_tree(prd).estate.settings.scope == "prod"
    assert (prd.base_url, prd.admin_key) == ("http://127.0.0.1:4000", "sk-production")


@pytest.mark.parametrize(("entry", "message"), [
    ("stray.yaml", "desired/targets/ holds one folder per target only"),
    ("Bad Name/x.yaml", "a target name is lower-case letters"),
])
def test_what_desired_targets_may_hold(
    tree: Path, capsys: pytest.CaptureFixture[str], entry: str, message: str
) -> None:
    path = tree / "targets" / entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("agents: []\n", encoding="utf-8")
    assert main(["validate", "--desired", str(tree)]) == 1
    assert message in capsys.readouterr().err
