"""A rendered plan fitted to a comment: head kept, cut at a line, blocks closed, note added."""

from __future__ import annotations

import io

import pytest

from reconciler.commands.cli import main
from reconciler.commands.plan import write_fitted
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import ReconcilerError
from reconciler.core.render import render
from reconciler.core.render.fit import GITHUB_COMMENT_LIMIT, fit_markdown
from tests.unit.builders import estate, parse_live

NOTE = "Full plan: https://example.test/run/1"


def _big_markdown(agents: int) -> str:
    text = "models:\n  - {id: m, model_name: M, litellm_params: {model: minimax/M}}\nagents:\n"
    text += "".join(
        f"  - {{name: agent-{i:04}, owner: ops, models: [M], max_budget: {i}, "
        f"rpm_limit: 60, metadata: {{team: research, purpose: nightly summaries}}}}\n"
        for i in range(agents)
    )
    unmanaged = [{"token": f"t{i}", "key_alias": f"legacy-{i}", "metadata": {}} for i in range(30)]
    plan = plan_changes(estate(text), parse_live(unmanaged, []))
    out = io.StringIO()
    render(plan, out, fmt="markdown")
    return out.getvalue()


def test_a_plan_that_fits_is_returned_unchanged() -> None:
    text = _big_markdown(3)
    assert fit_markdown(text, GITHUB_COMMENT_LIMIT, note=NOTE) == text


def test_a_thousand_new_agents_fit_a_github_comment_with_head_and_note() -> None:
    text = _big_markdown(1000)
    assert len(text) > 200_000  # the case: far over GitHub's limit
    fitted = fit_markdown(text, 60_000, note=NOTE)
    assert len(fitted) <= 60_000
    head = text[: text.index("```diff")]
    assert fitted.startswith(head)  # title, summary line and counts table survive
    assert "| `create_key` | 1000 |" in fitted
    body, _, note = fitted.rpartition("\n> ✂️ **Plan truncated:** ")
    assert note.endswith(f"not shown, to fit a comment. {NOTE}\n")
    omitted = int(note.split()[0])
    assert omitted == len(text.splitlines()) - len(body.splitlines()) + 1  # the closing ```
    assert body.count("```") % 2 == 0  # the diff block is closed
    assert body.rstrip().endswith("```")


def test_cut_inside_details_closes_it() -> None:
    text = "# t\n\n<details><summary>x</summary>\n\n" + "- item\n" * 500 + "\n</details>\n"
    fitted = fit_markdown(text, 1200, note=NOTE)
    assert len(fitted) <= 1200
    assert fitted.count("<details>") == fitted.count("</details>") == 1
    assert fitted.index("</details>") < fitted.index("Plan truncated")


def test_fenced_details_tags_are_text_not_blocks() -> None:
    text = "```\n<details>\n```\n" + "line\n" * 400
    fitted = fit_markdown(text, 1000, note=NOTE)
    assert "</details>" not in fitted


@pytest.mark.parametrize("limit", [999, 1000, 1001, 4321, 59_999])
def test_never_longer_than_the_limit_and_always_whole_lines(limit: int) -> None:
    text = _big_markdown(300)
    fitted = fit_markdown(text, limit, note=NOTE)
    assert len(fitted) <= limit
    kept = fitted.split("\n> ✂️")[0].splitlines()
    original = text.splitlines()
    assert all(line in original or line == "```" for line in kept)


def test_a_limit_too_small_for_the_note_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot hold even the truncation note"):
        fit_markdown("x\n" * 100, 50, note=NOTE)


def test_the_cli_refuses_tiny_limits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["plan", "--max-chars", "10"])
    assert exited.value.code == 2
    assert "--max-chars: must be a whole number >= 1000" in capsys.readouterr().err


def test_json_is_never_cut() -> None:
    with pytest.raises(ReconcilerError, match="not json"):
        write_fitted(Plan(), "json", 5000, NOTE)
