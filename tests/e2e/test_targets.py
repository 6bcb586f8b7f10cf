"""One repository, two gateways: staging on a sandbox of its own, production on `gateway`
(the sandbox or the real proxy). Each `--target` plans and applies its own estate on its own
gateway, through the variables its target names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.sandbox import DEFAULT_MASTER_KEY, SandboxGateway
from tests.e2e.gateways import Gateway
from tests.e2e.harness import Result, agent, standard_estate, write_desired


@pytest.fixture
def staging(gateway: Gateway) -> Iterator[Gateway]:
    """A second gateway in the same namespace, seeded like the first and watched the same way."""
    with SandboxGateway(seed=False) as sandbox:
        gw = Gateway("sandbox", sandbox.base_url, DEFAULT_MASTER_KEY, prefix=gateway.prefix)
        gw.seed()
        watched = {a: gw.live_keys()[a]["token"] for a in (gw.pinned_alias, gw.unmanaged_alias)}
        before = {a: gw.key_info(t) for a, t in watched.items()}
        yield gw
        assert {a: gw.key_info(t) for a, t in watched.items()} == before


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _tree(gw: Gateway, root: Path) -> Path:
    desired = write_desired(root / "desired", standard_estate(gw))
    _dump(desired / "targets" / "staging" / "target.yaml", {
        "gateway": {"base_url_env": "STAGING_URL", "admin_key_env": "STAGING_KEY"},
        "agents": [agent(gw, "tester", ["MiniMax-M2.5"], max_budget=1)],
        "overrides": {"agents": {gw.name("李狗蛋"): {"max_budget": 5, "rpm_limit": 6}}},
    })
    _dump(desired / "targets" / "production" / "target.yaml", {
        "gateway": {"base_url_env": "PRODUCTION_URL", "admin_key_env": "PRODUCTION_KEY"},
    })
    return desired


def _run(cwd: Path, env: dict[str, str], *args: str) -> Result:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    proc = subprocess.run([sys.executable, "-m", "reconciler", *args, "--desired", "desired"],
                          cwd=cwd, env={**clean, "NO_COLOR": "1", **env}, text=True,
                          capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _env(staging: Gateway, production: Gateway) -> dict[str, str]:
    return {"STAGING_URL": staging.base_url, "STAGING_KEY": staging.admin_key,
            "PRODUCTION_URL": production.base_url, "PRODUCTION_KEY": production.admin_key}


def test_each_target_plans_and_applies_its_own_estate_on_its_own_gateway(
    gateway: Gateway, staging: Gateway, tmp_path: Path
) -> None:
    _tree(gateway, tmp_path)
    env = _env(staging, gateway)
    valid = _run(tmp_path, {}, "validate")
    assert valid.code == 0, valid.both
    assert valid.out.splitlines() == [
        "target production is valid: 2 agent(s), 2 model(s), 1 pinned key(s)",
        "target staging is valid: 3 agent(s), 2 model(s), 1 pinned key(s)",
    ]

    plan = _run(tmp_path, env, "plan", "--target", "staging", "--detailed-exitcode",
                "--out", "staging-plan.json")
    assert plan.code == 2, plan.both
    assert f"+ create key {gateway.name('tester')}" in plan.out
    assert "target staging: gateway from $STAGING_URL" in plan.err
    assert "Plan: 5 to add, 0 to change, 0 to destroy." in plan.out
    applied = _run(tmp_path, env, "apply", "staging-plan.json", "--target", "staging",
                   "--auto-approve", "--secrets-out", "staging.jsonl")
    assert applied.code == 0, applied.both
    li = staging.live_keys()[gateway.name("李狗蛋")]
    assert (li["max_budget"], li["rpm_limit"]) == (5, 6)  # the override, on staging only
    assert gateway.name("tester") in staging.live_keys()
    assert gateway.name("李狗蛋") not in gateway.live_keys()  # production untouched so far

    prod = _run(tmp_path, env, "plan", "--target", "production", "--detailed-exitcode")
    assert prod.code == 2, prod.both
    assert "tester" not in prod.out
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in prod.out
    applied = _run(tmp_path, env, "apply", "--target", "production", "--auto-approve",
                   "--secrets-out", "production.jsonl")
    assert applied.code == 0, applied.both
    li = gateway.live_keys()[gateway.name("李狗蛋")]
    assert (li["max_budget"], li["rpm_limit"]) == (50, 60)
    assert gateway.name("tester") not in gateway.live_keys()

    for target in ("staging", "production"):
        again = _run(tmp_path, env, "plan", "--target", target, "--detailed-exitcode")
        assert again.code == 0 and "No changes" in again.out, again.both

    # The observing commands read the same target estate from the same gateway.
    for target, gw, budget in (("staging", staging, 5), ("production", gateway, 50)):
        usage = _run(tmp_path, env, "usage", "--target", target, "--format", "json")
        assert usage.code in (0, 3), usage.both
        agents = {k["name"]: k for k in json.loads(usage.out)["keys"]
                  if k["name"].startswith(gw.prefix)}
        assert (gateway.name("tester") in agents) == (target == "staging")
        assert agents[gateway.name("李狗蛋")]["max_budget"] == budget


def test_a_target_never_reaches_another_gateway(
    gateway: Gateway, staging: Gateway, tmp_path: Path
) -> None:
    # LITELLM_* point at staging; production's own variables are missing: refused, and no
    # gateway is changed (nothing created on either).
    _tree(gateway, tmp_path)
    env = {"LITELLM_BASE_URL": staging.base_url, "LITELLM_ADMIN_KEY": staging.admin_key}
    for args in (("plan",), ("apply", "--auto-approve", "--secrets-out", "s.jsonl")):
        result = _run(tmp_path, env, *args, "--target", "production")
        assert result.code == 1
        assert "target 'production' reads its gateway from $PRODUCTION_URL, which is not set" \
            in result.err
        untargeted = _run(tmp_path, env, *args)
        assert untargeted.code == 1
        assert "has targets (production, staging): choose one with --target NAME" \
            in untargeted.err
    assert set(staging.live_keys()) == {staging.pinned_alias, staging.unmanaged_alias}
    assert set(gateway.live_keys()) == {gateway.pinned_alias, gateway.unmanaged_alias}
    assert not staging.models() and not gateway.models()


def test_a_hostile_target_cannot_touch_the_pinned_key(
    gateway: Gateway, staging: Gateway, tmp_path: Path
) -> None:
    desired = _tree(gateway, tmp_path)
    hostile = desired / "targets" / "staging" / "hostile.yaml"
    _dump(hostile, {
        "pinned": [],
        "agents": [agent(gateway, "sileya", ["MiniMax-M2.5"], blocked=True)],
        "overrides": {"agents": {gateway.pinned_alias: {"blocked": True}}},
    })
    result = _run(tmp_path, _env(staging, gateway), "apply", "--target", "staging",
                  "--auto-approve", "--secrets-out", "s.jsonl")
    assert result.code == 1
    pinned = gateway.pinned_alias
    assert f"targets/staging/hostile.yaml:10: overrides.agents.{pinned}: no shared " \
        f"agent '{pinned}' to override" in result.err
    assert f"targets/staging/hostile.yaml:3: agents[{pinned}].name: '{pinned}' is a pinned key: " \
        "no plan may change it" in result.err
    # Nothing was created on staging; the fixtures check the pinned keys byte for byte.
    assert set(staging.live_keys()) == {staging.pinned_alias, staging.unmanaged_alias}
