"""Names the gateway holds reach terminals and PR comments escaped, and JSON exactly."""

from __future__ import annotations

import json
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

from tests.e2e.gateways import Gateway
from tests.e2e.harness import run_cli

# An escape sequence that clears the screen, a line separator, a right-to-left override,
# a zero-width space, and markdown/HTML that would make a link and an image in a PR comment.
HOSTILE = "evil\x1b[2J\x1b[31m\u2028\u202egnp.exe\u200b`](https://x.example)<img src=x>"


def test_hostile_live_names_are_escaped_for_people_and_exact_for_machines(
    gateway: Gateway, desired: Path, tmp_path: Path
) -> None:
    model_id = gateway.name("hostile")
    gateway.call("POST", "/model/new", json={
        "model_name": HOSTILE, "litellm_params": {"model": "openai/x"},
        "model_info": {"id": model_id}})
    live_name = gateway.models()[model_id]["model_name"]  # as the gateway keeps it

    text = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--show-untouched")
    assert text.code == 0, text.both
    line = next(ln for ln in text.out.splitlines() if model_id in ln)
    assert line.startswith(
        f"  = unmanaged model (not created by this tool; left alone): {model_id} evil")
    assert "evil\\x1b[2J\\x1b[31m\\u2028" in line and "\\u202egnp.exe\\u200b" in line
    assert all(c.isprintable() for c in text.out.replace("\n", ""))

    markdown = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "markdown",
                       "--show-untouched")
    assert markdown.code == 0, markdown.both
    assert all(c.isprintable() for c in markdown.out.replace("\n", ""))
    html = cmarkgfm.github_flavored_markdown_to_html(
        markdown.out, options=Options.CMARK_OPT_UNSAFE)
    assert "<a " not in html and "<img" not in html
    assert "&lt;img src=x&gt;" in html  # shown, as code

    as_json = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "json")
    assert as_json.code == 0, as_json.both
    untouched = {u["name"]: u["detail"] for u in json.loads(as_json.out)["untouched"]}
    assert untouched[model_id] == live_name
