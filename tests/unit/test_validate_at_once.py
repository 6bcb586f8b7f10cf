"""validate shows every problem in one run, not in rounds (issue 19, item 11)."""

from __future__ import annotations

from reconciler.core.input.yamlsource import Source
from tests.unit.builders import problems_of

TREE = [
    Source("a.yaml", "agents:\n  - name: a\n    owner: o\n    modles: [M]\n"),   # unknown field
    Source("b.yaml", "agents:\n  - name: b\n    owner: o\n    models: [M]\n"
                     "    metadata: {note: sk-abcdefghijklmnop1234}\n"),          # a key shape
    Source("c.yaml", "agents:\n  - name: b\n    owner: o\n    models: [M]\n"),    # duplicate
    Source("d.yaml", "agents:\n  - name: d\n    owner: o\n    models: [Nowhere]\n"
                     "    rpm_limit: \"5\"\n    metadata: {k: sk-zyxwvutsrqponml9876}\n"),
    Source("m.yaml", "config_models: [M]\n"),
]


def test_problems_of_valid_and_invalid_files_come_together() -> None:
    found = problems_of(TREE)
    assert "a.yaml:4: agents[a].modles: unknown field (did you mean 'models'?)" in found
    assert any(p.startswith("b.yaml:5: agents[b].metadata.note:") for p in found)
    assert any(p.startswith("c.yaml:2: agents[b].name: 'b' is defined twice") for p in found)
    # The file that failed validation is still searched for secret shapes...
    assert any(p.startswith("d.yaml:6: agents[d].metadata.k:") for p in found)
    assert any(p.startswith("d.yaml:5: agents[d].rpm_limit:") for p in found)
    # ...but a name "declared nowhere" is not claimed while a file failed (it may be there).
    assert not any("declared nowhere" in p for p in found)
    assert "a.yaml:2: agents[a].models: Field required" in found
    assert len(found) == 6, found


def test_unknown_fields_suggest_the_field_meant_at_that_level() -> None:
    found = problems_of([
        Source("s.yaml", "setings: {scope: a}\nsettings:\n  safety: {max_update_shar: 0.5}\n"),
        Source("m.yaml", "models:\n  - id: m\n    model_name: M\n    litellm_params: {model: a/b}\n"
                         "    ignore_field: []\n    zzzz: 1\n"),
    ])
    assert "s.yaml:1: setings: unknown field (did you mean 'settings'?)" in found
    assert ("s.yaml:3: settings.safety.max_update_shar: unknown field "
            "(did you mean 'max_update_share'?)") in found
    assert ("m.yaml:5: models[m].ignore_field: unknown field "
            "(did you mean 'ignore_fields'?)") in found
    assert "m.yaml:6: models[m].zzzz: unknown field" in found  # nothing close: no guess


def test_a_bad_duration_names_the_forms_not_a_regular_expression() -> None:
    (found,) = problems_of([Source("a.yaml", "config_models: [M]\nagents:\n  - {name: a, "
                                             "owner: o, models: [M], budget_duration: 30x}\n")])
    assert found.startswith("a.yaml:3: agents[a].budget_duration: not a duration: a whole "
                            "number and a unit, one of 30s, 15m, 12h, 30d, 2w, 3mo")
    assert "^" not in found and "[0-9]" not in found
