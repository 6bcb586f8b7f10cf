"""settings.promotion: the order CI applies targets in, declared once in the shared files."""

from __future__ import annotations

import textwrap

import pytest

from reconciler.core.errors import DesiredError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.targets import load_target
from reconciler.core.input.yamlsource import Source

SHARED = """
settings: {scope: team, promotion: [eu-canary, global, us-west]}
"""


def _sources(files: dict[str, str]) -> list[Source]:
    return [Source(name, textwrap.dedent(text).lstrip()) for name, text in sorted(files.items())]


def test_a_target_with_its_own_settings_keeps_the_shared_order() -> None:
    own = {"targets/global/t.yaml": "settings: {scope: global, removed_agents: delete}\n"}
    estate = load_target("global", _sources({"s.yaml": SHARED}), _sources(own)).estate
    assert estate.settings.scope == "global"
    assert estate.settings.promotion == ["eu-canary", "global", "us-west"]


def test_a_target_cannot_declare_the_order() -> None:
    own = {"targets/global/t.yaml": "settings:\n  scope: g\n  promotion: [global]\n"}
    with pytest.raises(DesiredError) as info:
        load_target("global", _sources({"s.yaml": SHARED}), _sources(own))
    assert [str(p) for p in info.value.problems] == [
        "targets/global/t.yaml:3: settings.promotion: the order of targets is declared in the "
        "shared files (desired/), not in a target"]


@pytest.mark.parametrize(("value", "message"), [
    ("[staging, staging]", "listed twice: staging"),
    ("[]", "name the targets in the order CI applies them"),
    ("[Production]", "should match pattern"),
])
def test_a_bad_order_is_refused_where_it_is_written(value: str, message: str) -> None:
    with pytest.raises(DesiredError) as info:
        load_estate(_sources({"s.yaml": f"settings:\n  promotion: {value}\n"}))
    problem = str(info.value.problems[0])
    assert problem.startswith("s.yaml:2: settings.promotion") and message in problem
