#!/usr/bin/env python3
"""A stand-in for the GitHub CLI, for the workflow scripts' tests.

State lives in $FAKE_GH/api.json: endpoint -> the JSON GitHub would answer to a GET.

- `gh api [--paginate] ENDPOINT [--jq EXPR]` answers that JSON through the real jq (404 when
  the endpoint is not there).
- `gh api [-X METHOD] ENDPOINT -f/-F k=v ...` (a write, POST unless -X says otherwise) is
  appended to $FAKE_GH/writes.jsonl and changes the state as GitHub would for the few writes
  the scripts make: comments, commit statuses, reactions, merges.
- `gh workflow run FILE --ref REF -f k=v` is recorded in writes.jsonl (a dispatch).
- `gh run download RUN --repo R --name NAME --dir DIR` copies $FAKE_GH/artifacts/NAME.

Every call is appended to $FAKE_GH/calls.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def _fields(argv: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for i, arg in enumerate(argv[:-1]):
        if arg not in ("-f", "-F", "--raw-field", "--field"):
            continue
        key, _, value = argv[i + 1].partition("=")
        typed: Any = value
        if arg in ("-F", "--field"):
            if value.startswith("@"):
                typed = Path(value[1:]).read_text(encoding="utf-8")
            elif value in ("true", "false"):
                typed = value == "true"
            elif re.fullmatch(r"-?\d+", value):
                typed = int(value)
        fields[key] = typed
    return fields


def _write(answers: dict[str, Any], method: str, endpoint: str,
           fields: dict[str, Any]) -> tuple[int, Any]:
    """What GitHub answers to the write, after changing the state the way it would."""
    if m := re.fullmatch(r"(repos/[^/]+/[^/]+)/issues/(\d+)/comments", endpoint):
        comments = answers.setdefault(endpoint, [])
        comment = {"id": 1000 + sum(len(v) for k, v in answers.items()
                                    if k.endswith("/comments") and isinstance(v, list)),
                   "body": fields["body"], "user": {"login": "github-actions[bot]"}}
        comments.append(comment)
        return 0, comment
    if m := re.fullmatch(r"(repos/[^/]+/[^/]+)/issues/comments/(\d+)", endpoint):
        for key, value in answers.items():
            if key.endswith("/comments") and isinstance(value, list):
                for comment in value:
                    if comment.get("id") == int(m.group(2)):
                        comment["body"] = fields["body"]
                        return 0, comment
        return 1, {"message": "Not Found"}
    if m := re.fullmatch(r"(repos/[^/]+/[^/]+)/statuses/([0-9a-f]+)", endpoint):
        status = {k: fields.get(k) for k in ("state", "context", "description", "target_url")}
        answers.setdefault(f"{m.group(1)}/commits/{m.group(2)}/statuses", []).insert(0, status)
        return 0, status
    if m := re.fullmatch(r"(repos/[^/]+/[^/]+)/pulls/(\d+)/merge", endpoint):
        pull = answers.get(f"{m.group(1)}/pulls/{m.group(2)}", {})
        if fields.get("sha") and fields["sha"] != pull.get("head", {}).get("sha"):
            return 1, {"message": "Head branch was modified. Review and try the merge again."}
        pull["state"], pull["merged"] = "closed", True
        return 0, {"merged": True, "sha": "f" * 40}
    return 0, {}


def main(argv: list[str]) -> int:
    root = Path(os.environ["FAKE_GH"])
    with (root / "calls").open("a", encoding="utf-8") as calls:
        calls.write(" ".join(argv) + "\n")
    state = root / "api.json"
    answers = json.loads(state.read_text(encoding="utf-8"))
    if argv[:1] == ["api"]:
        args = [a for a in argv[1:] if a != "--paginate"]
        endpoint = next(a for i, a in enumerate(args)
                        if not a.startswith("-") and (i == 0 or args[i - 1] not in
                                                      ("-X", "--method", "--jq", "-f", "-F",
                                                       "--raw-field", "--field")))
        method = args[args.index("-X") + 1] if "-X" in args else None
        fields = _fields(args)
        expr = args[args.index("--jq") + 1] if "--jq" in args else "."
        if method is None:
            method = "POST" if fields else "GET"
        if method == "GET":
            # Canned answers may leave the query string out (?per_page=100 and the like).
            if endpoint not in answers:
                endpoint = endpoint.split("?", 1)[0]
            if endpoint not in answers and re.search(r"/(comments|statuses)$", endpoint):
                answers[endpoint] = []  # an existing issue or commit without any yet
            if endpoint not in answers:
                print(f"gh: Not Found (HTTP 404) {endpoint}", file=sys.stderr)
                return 1
            answer = answers[endpoint]
        else:
            with (root / "writes.jsonl").open("a", encoding="utf-8") as writes:
                writes.write(json.dumps({"method": method, "endpoint": endpoint,
                                         "fields": fields}) + "\n")
            code, answer = _write(answers, method, endpoint.split("?", 1)[0], fields)
            state.write_text(json.dumps(answers), encoding="utf-8")
            if code:
                print(f"gh: {answer['message']} (HTTP 409)", file=sys.stderr)
                return 1
        done = subprocess.run(["jq", "-r", expr], input=json.dumps(answer),
                              capture_output=True, text=True, check=False)
        sys.stdout.write(done.stdout)
        return done.returncode
    if argv[:2] == ["workflow", "run"]:
        with (root / "writes.jsonl").open("a", encoding="utf-8") as writes:
            writes.write(json.dumps({"method": "DISPATCH", "endpoint": argv[2],
                                     "ref": argv[argv.index("--ref") + 1],
                                     "fields": _fields(argv)}) + "\n")
        return 0
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
