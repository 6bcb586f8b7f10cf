"""load_estate: a valid estate merges; an invalid one reports every problem as FILE:LINE: field."""

from __future__ import annotations

import pytest

from reconciler.core.errors import DesiredError
from reconciler.core.input.desired import Settings
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source
from tests.unit.builders import fixture_sources, problems_of

SILEYA_SHA = "c0b796934820cddda07aebf4344547429bacb17be26b2918984ad48ab91b3abe"


def test_valid_estate_merges_every_file_with_non_ascii_agent_names() -> None:
    estate = load_estate(fixture_sources("valid-estate"))

    agents = {a.name: a for a in estate.agents}
    assert sorted(agents) == sorted(["妮可", "李狗蛋"])
    assert agents["李狗蛋"].models == ["MiniMax-M2.7", "MiniMax-M2.5", "MiniMax-M2.5-Lightning"]
    assert agents["李狗蛋"].max_budget == 50
    assert agents["李狗蛋"].rpm_limit == 60
    assert agents["妮可"].tpm_limit == 200000
    assert agents["妮可"].metadata == {"team": "support"}
    assert [m.id for m in estate.models] == ["minimax-m2-5", "minimax-m2-5-lightning"]
    assert estate.models[0].litellm_params["api_key"] == "os.environ/MINIMAX_API_KEY"
    assert estate.config_models == frozenset({"MiniMax-M2.7"})
    assert [(p.alias, p.key_sha256) for p in estate.pinned] == [("sileya", SILEYA_SHA)]
    assert estate.settings == Settings(removed_agents="block")


def test_empty_and_comment_only_files_are_accepted() -> None:
    estate = load_estate([Source("empty.yaml", ""), Source("notes.yaml", "# nothing yet\n")])
    assert estate.agents == ()
    assert estate.settings.removed_agents == "block"


def test_every_schema_problem_in_every_file_is_reported_at_once() -> None:
    problems = problems_of(fixture_sources("every-schema-error"))
    # libyaml and the pure-Python parser word this one differently; the place is the same.
    broken = "broken-yaml.yaml:5: yaml: invalid YAML: "
    problems = [broken + "..." if p.startswith(broken) else p for p in problems]
    assert problems == [
        "agents.yaml:6: agents[妮可].colour: unknown field",
        "agents.yaml:7: agents[妮可].max_budget: Input should be greater than or equal to 0",
        "agents.yaml:8: agents[妮可].budget_duration: not a duration: a whole number and a "
        "unit, one of 30s, 15m, 12h, 30d, 2w, 3mo (seconds, minutes, hours, days, weeks, months)",
        "agents.yaml:9: agents[妮可].rpm_limit: "
        "Input should be a valid integer",
        "agents.yaml:12: agents[李狗蛋].models: "
        "List should have at least 1 item after validation, not 0",
        "broken-yaml.yaml:5: yaml: invalid YAML: ...",
        "duplicate-key.yaml:3: yaml: key 'config_models' appears twice in the same mapping",
        "models-and-pins.yaml:6: models[minimax-m2-5].model_info: "
        "reserved keys are set by the tool: id, managed_by",
        "models-and-pins.yaml:10: pinned[0]: give alias and/or key_sha256",
        "top-level-list.yaml:1: (file): the top level must be a mapping",
    ]


def test_desired_error_message_counts_the_problems() -> None:
    with pytest.raises(DesiredError) as caught:
        load_estate(fixture_sources("every-schema-error"))
    assert str(caught.value) == "desired state is invalid (10 problems)"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "duplicate-agent-across-files",
            [
                "agents/second.yaml:6: agents[李狗蛋].name: "
                "'李狗蛋' is defined twice (first at agents/first.yaml:2)"
            ],
        ),
        (
            "duplicate-model-id",
            [
                "models.yaml:6: models[minimax-m2-5].id: "
                "'minimax-m2-5' is defined twice (first at models.yaml:2)"
            ],
        ),
        ("settings-twice", ["b.yaml:3: settings: settings is defined twice (first at a.yaml:1)"]),
        (
            "undeclared-model",
            [
                "agents.yaml:7: agents[妮可].models[1]: model 'gpt-5-nowhere' is declared "
                "nowhere (add it under models: or config_models:)"
            ],
        ),
        (
            "literal-secret-in-params",
            [
                "models.yaml:6: models[minimax-m2-5].litellm_params.api_key: "
                "literal secret: use an os.environ/VARIABLE reference",
                "models.yaml:7: models[minimax-m2-5].litellm_params.aws_secret_access_key: "
                "literal secret: use an os.environ/VARIABLE reference",
            ],
        ),
        (
            "literal-key-in-metadata",
            [
                "agents.yaml:8: agents[妮可].metadata.fallback: "
                "looks like a literal key: never commit secrets to desired/"
            ],
        ),
        (
            "agent-named-like-pinned-alias",
            [
                "agents.yaml:2: agents[sileya].name: "
                "'sileya' is a pinned key: no plan may change it; remove this agent"
            ],
        ),
    ],
)
def test_cross_file_problem_names_file_line_and_field(case: str, expected: list[str]) -> None:
    assert problems_of(fixture_sources(case)) == expected


def test_a_model_declared_in_another_file_satisfies_an_agent() -> None:
    sources = [
        Source("agents.yaml", "agents:\n  - {name: a, owner: o, models: [M]}\n"),
        Source(
            "models.yaml", "models:\n  - {id: m, model_name: M, litellm_params: {model: x/y}}\n"
        ),
    ]
    assert [a.name for a in load_estate(sources).agents] == ["a"]


def test_wrong_type_is_reported_on_the_line_of_the_field() -> None:
    text = "config_models: [M]\nagents:\n  - name: a\n    owner: o\n    models: M\n"
    assert problems_of([Source("a.yaml", text)]) == [
        "a.yaml:5: agents[a].models: Input should be a valid list"
    ]


def test_unknown_top_level_field() -> None:
    assert problems_of([Source("a.yaml", "config_models: [M]\nagentz: []\n")]) == [
        "a.yaml:2: agentz: unknown field (did you mean 'agents'?)"
    ]


def test_pinned_sha256_must_be_lowercase_hex() -> None:
    problems = problems_of([Source("p.yaml", "pinned:\n  - key_sha256: NOT-A-HASH\n")])
    assert len(problems) == 1
    assert problems[0] == ("p.yaml:2: pinned[0].key_sha256: not a sha256: 64 lower-case "
                           "hexadecimal digits (sha256 of the raw key)")


def test_env_reference_for_a_secret_param_is_accepted() -> None:
    text = (
        "models:\n  - id: m\n    model_name: M\n    litellm_params:\n"
        "      model: x/y\n      api_key: os.environ/KEY\n      client_secret: os.environ/S\n"
    )
    estate = load_estate([Source("m.yaml", text)])
    assert estate.models[0].litellm_params["client_secret"] == "os.environ/S"


def test_non_string_literal_secret_param_is_rejected() -> None:
    text = (
        "models:\n  - id: m\n    model_name: M\n    litellm_params:\n"
        "      model: x/y\n      api_key: 123456789012\n"
    )
    assert problems_of([Source("m.yaml", text)]) == [
        "m.yaml:6: models[m].litellm_params.api_key: "
        "literal secret: use an os.environ/VARIABLE reference"
    ]


def test_yaml_merge_keys_are_honoured() -> None:
    text = (
        "config_models: [M]\n"
        "agents:\n"
        "  - &base {name: a, owner: o, models: [M]}\n"
        "  - <<: *base\n"
        "    name: b\n"
    )
    estate = load_estate([Source("a.yaml", text)])
    assert [(a.name, a.owner, a.models) for a in estate.agents] == [
        ("a", "o", ["M"]),
        ("b", "o", ["M"]),
    ]


def test_unknown_yaml_tag_is_a_located_problem() -> None:
    text = "config_models: [M]\nagents:\n  - name: !Ref a\n    owner: o\n    models: [M]\n"
    problems = problems_of([Source("a.yaml", text)])
    assert len(problems) == 1
    assert problems[0] == (
        "a.yaml:3: agents[0].name: the tag !Ref is not allowed: desired/ holds text, numbers, "
        "true/false, null, lists and mappings only"
    )


def test_impossible_date_is_a_located_problem() -> None:
    text = (
        "config_models: [M]\nagents:\n  - name: a\n    owner: o\n    models: [M]\n"
        "    metadata:\n      since: 2024-13-45\n"
    )
    problems = problems_of([Source("a.yaml", text)])
    assert len(problems) == 1
    assert problems[0].startswith("a.yaml:7: ")


def test_literal_key_inside_a_nested_header_value_is_rejected() -> None:
    text = (
        "models:\n  - id: m\n    model_name: M\n    litellm_params:\n      model: x/y\n"
        "      extra_headers:\n        Authorization: Bearer sk-live-abcdef1234567890\n"
    )
    problems = problems_of([Source("m.yaml", text)])
    assert [p.split(": ", 1)[0] for p in problems] == ["m.yaml:7"], problems


PLACEHOLDER = "placeholder from `reconciler import`: name the environment variable the gateway " \
    "reads this secret from (or remove it)"


def test_import_placeholders_and_key_shapes_are_found_in_one_file_per_agent() -> None:
    # Found in the same walk over a file that shares nothing (the common case).
    sources = [Source(f"agents/a{i}.yaml", f"agents:\n  - name: a{i}\n    owner: o\n"
                      f"    models: [M]\n    metadata: {{note: {value}}}\n")
               for i, value in enumerate(["os.environ/REPLACE_ME_X", "sk-abcdefghijkl", "ok"])]
    problems = problems_of([Source("gateway.yaml", "config_models: [M]\n"), *sources])
    assert problems == [
        f"agents/a0.yaml:5: agents[a0].metadata.note: {PLACEHOLDER}",
        "agents/a1.yaml:5: agents[a1].metadata.note: looks like a literal key: never commit "
        "secrets to desired/",
    ]


def test_a_placeholder_in_a_shared_subtree_is_reported_where_it_is_first_met() -> None:
    text = ("config_models: [M]\nagents:\n"
            "  - {name: a, owner: o, models: [M], metadata: &m {x: os.environ/REPLACE_ME_X}}\n"
            "  - {name: b, owner: o, models: [M], metadata: *m}\n")
    assert problems_of([Source("a.yaml", text)]) == [
        f"a.yaml:3: agents[a].metadata.x: {PLACEHOLDER}"
    ]
