"""Key lifetime (`duration`): sent on create, re-sent when desired/ changes it, null to remove."""

from __future__ import annotations

from typing import Any

from reconciler.core.input.yamlsource import Source
from tests.unit.builders import managed_key, problems_of
from tests.unit.test_diff_keys import HEADER, LIGOUDAN, LIGOUDAN_LIVE, agents, plan_for

WITH_90D = LIGOUDAN + "    duration: 90d\n"


def live_with(duration: str | None) -> dict[str, Any]:
    metadata = {**LIGOUDAN_LIVE["metadata"], **({"key_duration": duration} if duration else {})}
    return managed_key("李狗蛋", blocked=False, **{**LIGOUDAN_LIVE, "metadata": metadata})


def test_a_new_key_is_created_with_its_lifetime() -> None:
    (change,) = plan_for(agents(WITH_90D)).changes
    assert change.action == "create_key"
    assert change.after["duration"] == "90d"
    assert change.after["metadata"]["key_duration"] == "90d"


def test_an_unchanged_lifetime_plans_nothing() -> None:
    assert plan_for(agents(WITH_90D), live_with("90d")).changes == ()


def test_a_changed_lifetime_is_resent() -> None:
    (change,) = plan_for(agents(WITH_90D), live_with("30d")).changes
    assert change.action == "update_key"
    assert change.before["duration"] == "30d" and change.after["duration"] == "90d"
    assert change.after["metadata"]["key_duration"] == "90d"


def test_a_removed_lifetime_makes_the_key_never_expire() -> None:
    (change,) = plan_for(agents(LIGOUDAN), live_with("90d")).changes
    assert change.before["duration"] == "90d" and change.after["duration"] is None
    assert "key_duration" not in change.after["metadata"]


def test_a_bad_lifetime_is_refused_with_file_and_line() -> None:
    text = HEADER + "agents:\n" + LIGOUDAN + "    duration: 90 days\n"
    (problem,) = problems_of([Source("a.yaml", text)])
    assert problem.startswith("a.yaml:10: agents[李狗蛋].duration:")
