"""Write a namespaced desired/ tree and run the real CLI as a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.gateways import Gateway
from tests.output_schemas import check_cli_outputs


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def agent(gw: Gateway, base: str, models: list[str], **fields: Any) -> dict[str, Any]:
    return {"name": gw.name(base), "owner": "sileya",
            "models": [gw.name(m) for m in models], **fields}


def model(gw: Gateway, base_id: str, model_name: str, **params: Any) -> dict[str, Any]:
    return {
        "id": gw.name(base_id),
        "model_name": gw.name(model_name),
        "litellm_params": {"model": f"minimax/{model_name}",
                           "api_key": "os.environ/MINIMAX_API_KEY", **params},
    }


def standard_estate(gw: Gateway) -> dict[str, Any]:
    """The brief's estate, namespaced: two MiniMax deployments, 李狗蛋 and 妮可, Sileya pinned."""
    return {
        "settings": {"scope": gw.prefix},
        "pinned": [{"alias": gw.pinned_alias}],
        "models": [
            model(gw, "m25", "MiniMax-M2.5", rpm=120),
            model(gw, "m25l", "MiniMax-M2.5-Lightning", rpm=300),
        ],
        "agents": [
            agent(gw, "李狗蛋", ["MiniMax-M2.5", "MiniMax-M2.5-Lightning"], max_budget=50,
                  budget_duration="30d", rpm_limit=60, metadata={"team": "research"}),
            agent(gw, "妮可", ["MiniMax-M2.5"], max_budget=20, tpm_limit=200000),
        ],
    }


def write_desired(directory: Path, estate: dict[str, Any]) -> Path:
    """One file per agent plus a shared file, as a team would lay it out."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.rglob("*.yaml"):
        old.unlink()
    (directory / "agents").mkdir(exist_ok=True)
    shared = {k: v for k, v in estate.items() if k != "agents"}
    _dump(directory / "gateway.yaml", shared)
    for entry in estate.get("agents", []):
        _dump(directory / "agents" / f"{entry['name']}.yaml", {"agents": [entry]})
    return directory


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run_cli(gw: Gateway | None, cwd: Path, *args: str, admin_key: str | None = None,
            base_url: str | None = None, stdin: str | None = None,
            extra_env: dict[str, str] | None = None) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    env.update(extra_env or {})
    env["NO_COLOR"] = "1"
    env.setdefault("RECONCILER_RETRY_BASE", "0.05")  # short backoffs keep the suite fast
    if gw is not None or base_url:
        env["LITELLM_BASE_URL"] = base_url or (gw.base_url if gw else "")
    if gw is not None or admin_key:
        env["LITELLM_ADMIN_KEY"] = admin_key or (gw.admin_key if gw else "")
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd, env=env, text=True, capture_output=True, timeout=300,
        input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    # Every JSON the CLI prints or writes is held to its published schema (schema/outputs/).
    check_cli_outputs(args, cwd, proc.returncode, proc.stdout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_secrets(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def apply_and_settle(gw: Gateway, cwd: Path) -> None:
    """apply desired/ (new secrets to s.jsonl), then the plan must be empty."""
    applied = run_cli(gw, cwd, "apply", "--desired", "desired", "--auto-approve",
                      "--secrets-out", "s.jsonl")
    assert applied.code == 0, applied.both
    again = run_cli(gw, cwd, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
