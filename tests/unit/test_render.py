"""Renderers: text for terminals, markdown for pull requests, json for machines."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from io import StringIO

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.render import render
from reconciler.core.render.markdown import code_span
from tests.unit.builders import estate, key_row, managed_key, managed_model, model_row, parse_live

RAW_KEY = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")
ANSI = "\x1b["
ESTATE = """\
config_models: [MiniMax-M2.7]
models:
  - id: new-model
    model_name: New
    litellm_params: {model: openai/new, api_key: os.environ/NEW_KEY}
agents:
  - {name: 李狗蛋, owner: sileya, models: [New], max_budget: 50, metadata: {team: research}}
  - {name: 妮可, owner: sileya, models: [MiniMax-M2.7], rpm_limit: 60}
  - {name: 阿强, owner: sileya, models: [MiniMax-M2.7]}
  - {name: 小红, owner: sileya, models: [MiniMax-M2.7], blocked: true}
"""


def busy_plan() -> Plan:
    """create model + create/update/unblock/block key + delete model, plus untouched/warning."""
    keys = [
        managed_key("妮可", raw="sk-nicoleRAWsecret0001", models=["MiniMax-M2.7"], rpm_limit=10),
        managed_key(
            "阿强",
            raw="sk-aqiangRAWsecret0002",
            models=["MiniMax-M2.7"],
            blocked=True,
            applied={"blocked": True},
        ),
        managed_key("小红", raw="sk-xiaohongRAWsecret03", models=["MiniMax-M2.7"]),
        key_row("manual", raw="sk-manualRAWsecret0004"),
    ]
    models = [
        model_row("c", "MiniMax-M2.7", {"model": "minimax/MiniMax-M2.7"}, db_model=False),
        managed_model("gone", "Gone", {"model": "openai/gone"}),
    ]
    return plan_changes(estate(ESTATE + "pinned: [{alias: sileya}]\n"), parse_live(keys, models))


def rendered(plan: Plan, fmt: str, *, color: bool = False, show_untouched: bool = False) -> str:
    out = StringIO()
    render(plan, out, fmt=fmt, color=color, show_untouched=show_untouched)
    return out.getvalue()


def test_text_shows_a_headline_per_change_with_its_symbol() -> None:
    lines = rendered(busy_plan(), "text").splitlines()
    headlines = [line for line in lines if line and not line.startswith(" ")]
    assert headlines[:6] == [
        "+ create model new-model",
        "+ create key 李狗蛋",
        "~ update key 妮可 (sk-...0001)",
        "↺ unblock key 阿强 (sk-...0002)",
        "⊘ block key 小红 (sk-...et03)",
        "- delete model gone  # removed from desired/",
    ]


def test_text_shows_fields_of_creates_and_before_after_of_updates() -> None:
    text = rendered(busy_plan(), "text")
    assert '      key_alias: "李狗蛋"\n' in text
    assert '      models: ["New"]\n' in text
    assert "      max_budget: 50\n" in text
    assert '      metadata.team: "research"\n' in text
    assert "      rpm_limit: 10 → 60\n" in text
    assert '      litellm_params.api_key: "os.environ/NEW_KEY"\n' in text
    # the tool's own plumbing is not shown to reviewers
    assert "managed_by" not in text
    assert "info_keys" not in text


def test_text_lists_untouched_warnings_and_the_summary_line() -> None:
    text = rendered(busy_plan(), "text")
    assert "  = Left untouched: 1 unmanaged key(s), 1 config.yaml model(s) " \
        "(--show-untouched lists them)\n" in text
    assert "manual" not in text
    assert "  ! warning: pinned key sileya is missing on the gateway\n" in text
    assert text.endswith(
        "Plan: 2 to add, 1 to change, 1 to destroy, 1 to block, 1 to unblock.\n"
    )
    shown = StringIO()
    render(busy_plan(), shown, show_untouched=True)
    assert "  = unmanaged key (not created by this tool; left alone): manual sk-...0004\n" \
        in shown.getvalue()


def test_no_renderer_shows_a_raw_key() -> None:
    plan = busy_plan()
    for fmt in ("text", "markdown", "json"):
        assert RAW_KEY.findall(rendered(plan, fmt)) == [], fmt


def test_text_has_no_ansi_escapes_unless_color_is_asked_for() -> None:
    plan = busy_plan()
    assert ANSI not in rendered(plan, "text")
    assert ANSI not in rendered(plan, "markdown", color=True)
    colored = rendered(plan, "text", color=True)
    assert "\x1b[32m+ create key 李狗蛋\x1b[0m" in colored
    assert "\x1b[31m⊘ block key 小红 (sk-...et03)\x1b[0m" in colored


def test_empty_plan_says_no_changes_in_every_human_format() -> None:
    assert rendered(Plan(), "text") == "No changes. The gateway matches desired/.\n"
    markdown = rendered(Plan(), "markdown")
    assert "**No changes. The gateway matches desired/.**" in markdown
    assert "```diff" not in markdown


def test_markdown_has_a_summary_table_and_a_diff_block() -> None:
    markdown = rendered(busy_plan(), "markdown")
    assert markdown.startswith("### reconciler plan\n\n**Plan: 2 to add, 1 to change, "
                               "1 to destroy, 1 to block, 1 to unblock.**")
    assert "| action | count |\n|---|---:|\n" in markdown
    assert "| `create_key` | 1 |\n" in markdown
    assert "| `update_model` |" not in markdown  # zero counts are left out
    block = markdown.split("```diff\n", 1)[1].split("```", 1)[0]
    assert "+ create key 李狗蛋\n" in block
    assert "! update key 妮可 (sk-...0001)\n" in block
    assert "!     rpm_limit: 10 → 60\n" in block
    assert "- block key 小红 (sk-...et03)\n" in block
    assert "> ⚠️ `pinned key sileya is missing on the gateway`" in markdown
    assert "Left untouched: 1 unmanaged key(s), 1 config.yaml model(s)" in markdown
    assert "<summary>Left untouched (2)</summary>" in rendered(busy_plan(), "markdown",
                                                               show_untouched=True)


def test_json_has_format_version_changes_and_summary() -> None:
    data = json.loads(rendered(busy_plan(), "json"))
    assert data["format_version"] == 3
    assert data["summary"]["block_key"] == 1
    assert data["summary"]["update_model"] == 0
    for change in data["changes"]:
        assert {"address", "action", "kind", "verb", "target", "before", "after"} <= set(change)
        assert change["address"] == f"{change['kind']}.{change['target']}"
    update = next(c for c in data["changes"] if c["action"] == "update_key")
    assert update["target"] == "妮可"
    assert (update["before"]["rpm_limit"], update["after"]["rpm_limit"]) == (10, 60)
    assert update["drift"] is False
    assert (update["address"], update["label"]) == ("key.妮可", "sk-...0001")
    assert data["warnings"] == ["pinned key sileya is missing on the gateway"]


def test_json_of_an_empty_plan_is_still_a_plan() -> None:
    data = json.loads(rendered(Plan(), "json"))
    assert data["changes"] == []
    assert set(data["summary"].values()) == {0}


# Names a hostile or careless party can give a live key or model, or an agent in desired/.
HOSTILE = {
    "ansi": "evil\x1b[2J\x1b[31mred",
    "newline": "a\nb",
    "line separator": "a\u2028b",
    "zero width": "sile\u200bya",
    "rtl override": "abc\u202edcba",
    "bidi isolate": "x\u2066y\u2069",
    "bell": "ding\x07",
}
MARKDOWN_HOSTILE = {
    "fence": "x\n```\n# injected heading",
    "backticks": "a`b``c",
    "link": "[click](https://evil.example)",
    "html": "<img src=x onerror=alert(1)>",
    "table": "| a | b |",
    "details": "</details><script>",
}


def hostile_plan(name: str) -> Plan:
    keys = [
        managed_key(name, raw="sk-hostileRAWsecret0001", models=["MiniMax-M2.7"]),
        key_row(name + "-manual", raw="sk-manualRAWsecret0004"),
    ]
    models = [model_row("c", name, {"model": "minimax/x"}, db_model=False)]
    plan = plan_changes(estate("config_models: [MiniMax-M2.7]\n"), parse_live(keys, models))
    return replace(plan, warnings=(*plan.warnings, f"about {name}"))


@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_hostile_names_are_escaped_for_people(name: str, fmt: str) -> None:
    out = rendered(hostile_plan(name), fmt)
    escaped = name.encode("unicode_escape").decode().replace("\\n", "\\x0a")
    assert name not in out
    assert escaped in out
    assert not any(not c.isprintable() and c != "\n" for c in out)
    # Exactly the lines the plan has: no name added a line break.
    plain = rendered(hostile_plan("plain"), fmt)
    assert out.count("\n") == plain.count("\n")


@pytest.mark.parametrize("name", [*HOSTILE.values(), *MARKDOWN_HOSTILE.values()])
def test_json_keeps_hostile_names_exact(name: str) -> None:
    data = json.loads(rendered(hostile_plan(name), "json"))
    assert data["changes"][0]["target"] == name
    assert {u["name"] for u in data["untouched"]} >= {name, name + "-manual"}


def github_html(markdown: str) -> str:
    """The comment as GitHub renders it (its own cmark fork; raw HTML let through, so any
    markup a name smuggled in would show)."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


@pytest.mark.parametrize("name", [*MARKDOWN_HOSTILE.values(), *HOSTILE.values()],
                         ids=[*MARKDOWN_HOSTILE.keys(), *HOSTILE.keys()])
def test_markdown_names_cannot_become_markup(name: str) -> None:
    html = github_html(rendered(hostile_plan(name), "markdown"))
    plain = github_html(rendered(hostile_plan("plain"), "markdown"))
    for tag in ("<a ", "<img", "<script", "<h1", "<table", "<pre", "<details", "</details"):
        assert html.count(tag) == plain.count(tag), tag
    # Where the name shows, it is code, never text or markup.
    assert html.count("<code>") == plain.count("<code>")


def test_code_span_survives_backticks() -> None:
    assert code_span("plain") == "`plain`"
    assert code_span("a`b``c") == "``` a`b``c ```"
    assert code_span("`x") == "`` `x ``"


def test_names_shaped_like_raw_keys_are_masked_in_text_and_markdown() -> None:
    name = "sk-LooksLikeARawKey1234"
    for fmt in ("text", "markdown"):
        out = rendered(hostile_plan(name), fmt)
        assert name not in out and "sk-...1234" in out
