"""What the plan workflow posts: the saved plan rendered again, cut to fit a comment."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import agent, run_cli, standard_estate, write_desired

GITHUB_LIMIT = 65_536


def test_show_renders_the_saved_plan_exactly_as_plan_printed_it(gateway: Gateway, desired: Path,
                                                                 tmp_path: Path) -> None:
    for fmt in ("text", "markdown", "json"):
        plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", fmt,
                       "--out", "plan.json")
        assert plan.code == 0, plan.both
        shown = run_cli(None, tmp_path, "show", "plan.json", "--format", fmt)
        assert shown.code == 0, shown.both
        assert shown.out == plan.out


def test_a_thousand_new_agents_fit_one_comment_with_a_link(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"] += [agent(gateway, f"fleet-{i:04}", ["MiniMax-M2.5"], max_budget=5,
                               rpm_limit=30, metadata={"team": "fleet", "shift": "night"})
                         for i in range(1000)]
    write_desired(tmp_path / "desired", estate)
    full = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format", "markdown",
                   "--detailed-exitcode", "--out", "plan.json")
    assert full.code == 2, full.err
    assert len(full.out) > 200_000

    note = "The full plan is the plan-abc123 artifact of https://ci.example/runs/7"
    comment = run_cli(None, tmp_path, "show", "plan.json", "--format", "markdown",
                      "--max-chars", "60000", "--truncation-note", note)
    assert comment.code == 0, comment.both
    assert len(comment.out) <= 60_000 < GITHUB_LIMIT
    assert "| `create_key` | 1002 |" in comment.out
    assert comment.out.rstrip().endswith(note)
    assert "Plan truncated:" in comment.out

    cut_plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--format",
                       "markdown", "--max-chars", "60000")
    assert cut_plan.code == 0 and len(cut_plan.out) <= 60_000
    assert cut_plan.out.startswith(full.out[: full.out.index("```diff")])


def test_show_of_a_damaged_plan_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{not json", encoding="utf-8")
    shown = run_cli(None, tmp_path, "show", "plan.json")
    assert shown.code == 1
    assert shown.out == ""
    assert len(shown.err.splitlines()) == 1 and shown.err.startswith("error: cannot read plan")
