#!/usr/bin/env python3
"""A stand-in for the GitHub CLI, for the workflow scripts' tests.

`gh api ENDPOINT --jq EXPR` answers the canned JSON for ENDPOINT (in $FAKE_GH/api.json) through
the real jq; `gh run download RUN --repo R --name NAME --dir DIR` copies $FAKE_GH/artifacts/NAME.
Every call is appended to $FAKE_GH/calls.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    root = Path(os.environ["FAKE_GH"])
    with (root / "calls").open("a", encoding="utf-8") as calls:
        calls.write(" ".join(argv) + "\n")
    if argv[:1] == ["api"]:
        answers = json.loads((root / "api.json").read_text(encoding="utf-8"))
        if argv[1] not in answers:
            print(f"gh: Not Found (HTTP 404) {argv[1]}", file=sys.stderr)
            return 1
        expr = argv[argv.index("--jq") + 1] if "--jq" in argv else "."
        done = subprocess.run(["jq", "-r", expr], input=json.dumps(answers[argv[1]]),
                              capture_output=True, text=True, check=False)
        sys.stdout.write(done.stdout)
        return done.returncode
    if argv[:2] == ["run", "download"]:
        name, dest = argv[argv.index("--name") + 1], argv[argv.index("--dir") + 1]
        source = root / "artifacts" / name
        if not source.is_dir():
            print(f"no artifact matches {name}", file=sys.stderr)
            return 1
        shutil.copytree(source, dest, dirs_exist_ok=True)
        return 0
    print(f"fake gh: unexpected call {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
