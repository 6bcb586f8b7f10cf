"""Run scripts/ci/ as the workflows do, with a fake `gh` (fake_gh.py) whose GitHub state is a
JSON file, and a fake `reconciler` where a test needs a plan without a gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "ci"
REPO = "acme/gateway"
R = f"repos/{REPO}"
WORKFLOW = ".github/workflows/reconciler.yml"

# `reconciler plan --out F` writes $FAKE_PLAN to F, prints markdown, exits $FAKE_PLAN_CODE;
# `reconciler show F` prints it back. Every call is logged to $FAKE_GH/reconciler.
FAKE_RECONCILER = """#!/bin/sh
echo "$*" >> "$FAKE_GH/reconciler"
case "$1" in
  plan)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = --out ] && out=$a; prev=$a; done
    [ "${FAKE_PLAN_CODE:-2}" = 1 ] && { echo "error: gateway unreachable" >&2; exit 1; }
    [ -z "$out" ] || cp "$FAKE_PLAN" "$out"
    echo "### reconciler plan"; exit "${FAKE_PLAN_CODE:-2}" ;;
  show) echo "### reconciler plan"; echo "**Plan: from $2**" ;;
  apply) env | grep -E '^[A-Z_]+_URL=' | sort | tr '\n' ' ' >> "$FAKE_GH/reconciler"
         echo >> "$FAKE_GH/reconciler"; exit "${FAKE_APPLY_CODE:-0}" ;;
esac
"""


@dataclass
class GitHub:
    """A fake GitHub: the state a script reads and writes, and what it wrote."""

    root: Path

    @classmethod
    def make(cls, root: Path, api: dict[str, Any]) -> GitHub:
        (root / "bin").mkdir(parents=True)
        (root / "api.json").write_text(json.dumps(api), encoding="utf-8")
        gh = root / "bin" / "gh"
        gh.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).parent / 'fake_gh.py'} "
                      '"$@"\n', encoding="utf-8")
        fake = root / "bin" / "reconciler"
        fake.write_text(FAKE_RECONCILER, encoding="utf-8")
        gh.chmod(0o755)
        fake.chmod(0o755)
        return cls(root)

    @property
    def api(self) -> dict[str, Any]:
        return json.loads((self.root / "api.json").read_text(encoding="utf-8"))

    def update(self, **changes: Any) -> None:
        api = self.api
        api.update(changes)
        (self.root / "api.json").write_text(json.dumps(api), encoding="utf-8")

    def writes(self) -> list[dict[str, Any]]:
        path = self.root / "writes.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def clear_writes(self) -> None:
        (self.root / "writes.jsonl").unlink(missing_ok=True)

    def dispatches(self) -> list[dict[str, Any]]:
        return [w for w in self.writes() if w["method"] == "DISPATCH"]

    def comments(self, pr: int) -> list[str]:
        return [c["body"] for c in self.api.get(f"{R}/issues/{pr}/comments", [])]

    def status(self, sha: str, context: str = "reconciler/plan") -> dict[str, Any] | None:
        found = [s for s in self.api.get(f"{R}/commits/{sha}/statuses", [])
                 if s["context"] == context]
        return found[0] if found else None

    def run(self, script: str, env: dict[str, str], *args: str,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        output = self.root / "github_output"
        output.write_text("", encoding="utf-8")
        full = {**os.environ, "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}",
                "FAKE_GH": str(self.root), "GITHUB_REPOSITORY": REPO,
                "GITHUB_OUTPUT": str(output), **env}
        return subprocess.run(["bash", str(SCRIPTS / script), *args], env=full, cwd=cwd,
                              capture_output=True, text=True, timeout=60, check=False)

    def outputs(self) -> dict[str, str]:
        text = (self.root / "github_output").read_text(encoding="utf-8")
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
