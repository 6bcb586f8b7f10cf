"""The overlay rule: desired/targets/NAME/ laid over the shared tree (core.input.targets)."""

from __future__ import annotations

import textwrap

import pytest

from reconciler.core.errors import DesiredError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.targets import TargetEstate, load_target
from reconciler.core.input.yamlsource import Source

SHARED = {
    "shared/gateway.yaml": """
        settings: {removed_agents: delete, scope: team}
        pinned:
          - alias: sileya
            key_sha256: c0b796934820cddda07aebf4344547429bacb17be26b2918984ad48ab91b3abe
        config_models: [M-config]
        fallbacks:
          M-config: [M-a]
    """,
    "shared/models.yaml": """
        models:
          - id: m-a
            model_name: M-a
            litellm_params: {model: minimax/M-a, api_key: os.environ/MINIMAX_API_KEY, rpm: 10}
    """,
    "shared/agents.yaml": """
        agents:
          - name: 李狗蛋
            owner: sileya
            models: [M-a]
            max_budget: 50
            rpm_limit: 60
          - name: 妮可
            owner: sileya
            models: [M-a, M-config]
    """,
}


def _sources(files: dict[str, str]) -> list[Source]:
    return [Source(name, textwrap.dedent(text).lstrip()) for name, text in sorted(files.items())]


def _target(**files: str) -> TargetEstate:
    own = {f"targets/stg/{name}.yaml": text for name, text in files.items()}
    return load_target("stg", _sources(SHARED), _sources(own))


def _problems(**files: str) -> list[str]:
    with pytest.raises(DesiredError) as info:
        _target(**files)
    return [str(p) for p in info.value.problems]


def test_an_empty_target_is_the_shared_estate() -> None:
    assert _target(empty="").estate == load_estate(_sources(SHARED))


def test_declared_sections_replace_added_ones_add() -> None:
    loaded = _target(main="""
        gateway: {base_url_env: STG_URL, admin_key_env: STG_KEY}
        settings: {scope: staging}
        config_models: [M-config, M-cfg2]
        fallbacks: {M-a: [M-b]}
        models:
          - id: m-b
            model_name: M-b
            litellm_params: {model: minimax/M-b}
        agents:
          - {name: tester, owner: qa, models: [M-b]}
    """, agents="""
        agents:
          - {name: 妮可, owner: sileya, models: [M-a]}
    """.replace("妮可", "other"))
    estate = loaded.estate
    assert estate.settings.scope == "staging"
    assert estate.settings.removed_agents == "block"  # replaced whole: the default, not delete
    assert estate.config_models == frozenset({"M-config", "M-cfg2"})
    assert estate.fallbacks == {"M-a": ("M-b",)}
    assert {a.name for a in estate.agents} == {"李狗蛋", "妮可", "tester", "other"}
    assert {m.id for m in estate.models} == {"m-a", "m-b"}
    assert loaded.gateway is not None
    assert (loaded.gateway.base_url_env, loaded.gateway.admin_key_env) == ("STG_URL", "STG_KEY")


def test_replaced_fallbacks_are_not_checked_against_the_target() -> None:
    # The shared fallbacks name M-config; this target's gateway serves M-x instead.
    estate = _target(main="""
        config_models: [M-x]
        fallbacks: {M-a: [M-x]}
        overrides:
          agents:
            妮可: {models: [M-a, M-x]}
    """).estate
    assert estate.fallbacks == {"M-a": ("M-x",)}
    assert estate.config_models == frozenset({"M-x"})


def test_override_changes_only_the_named_fields() -> None:
    estate = _target(over="""
        overrides:
          agents:
            李狗蛋: {max_budget: 5, blocked: true}
          models:
            m-a: {litellm_params: {model: minimax/M-a, api_base: "http://127.0.0.1:9000/v1"}}
    """).estate
    li = next(a for a in estate.agents if a.name == "李狗蛋")
    assert (li.max_budget, li.blocked, li.rpm_limit, li.models) == (5, True, 60, ["M-a"])
    assert estate.models[0].litellm_params == {"model": "minimax/M-a",
                                               "api_base": "http://127.0.0.1:9000/v1"}


def test_redeclaring_a_shared_agent_is_a_duplicate_not_an_override() -> None:
    problems = _problems(agents="""
        agents:
          - {name: 李狗蛋, owner: sileya, models: [M-a], max_budget: 5}
    """)
    assert problems == [
        "targets/stg/agents.yaml:2: agents[李狗蛋].name: '李狗蛋' is defined twice "
        "(first at shared/agents.yaml:2)"
    ]


@pytest.mark.parametrize(("kind", "body", "expected"), [
    ("agents", "nobody: {max_budget: 1}",
     "targets/stg/o.yaml:3: overrides.agents.nobody: no shared agent 'nobody' to override"),
    ("agents", "李狗蛋: {name: renamed}",
     "targets/stg/o.yaml:3: overrides.agents.李狗蛋.name: a name or id cannot be overridden"),
    ("agents", '李狗蛋: {max_budget: "5"}',
     "targets/stg/o.yaml:3: overrides.agents.李狗蛋.max_budget: Input should be a valid number"),
    ("agents", "李狗蛋: {colour: red}",
     "targets/stg/o.yaml:3: overrides.agents.李狗蛋.colour: Extra inputs are not permitted"),
    ("agents", "李狗蛋: {models: [M-a, M-nowhere]}",
     "targets/stg/o.yaml:3: overrides.agents.李狗蛋.models[1]: model 'M-nowhere' is "
     "declared nowhere"),
    ("models", "m-a: {litellm_params: {model: x/y, api_key: literal-secret-value}}",
     "targets/stg/o.yaml:3: overrides.models.m-a.litellm_params.api_key: "),
    ("models", "m-a: {litellm_params: {model: x/y, api_key: os.environ/LITELLM_MASTER_KEY}}",
     "targets/stg/o.yaml:3: overrides.models.m-a.litellm_params.api_key: "),
])
def test_bad_overrides_are_located_at_the_override(kind: str, body: str, expected: str) -> None:
    problems = _problems(o=f"overrides:\n  {kind}:\n    {body}\n")
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_target_cannot_unpin_the_shared_pinned_key() -> None:
    # Declaring an empty list, settings or a new pinned entry never drops a shared one.
    estate = _target(p="""
        pinned: []
        settings: {scope: team}
    """).estate
    assert [p.alias for p in estate.pinned] == ["sileya"]
    added = _target(p="pinned: [{alias: other-admin}]").estate
    assert [p.alias for p in added.pinned] == ["sileya", "other-admin"]


@pytest.mark.parametrize(("text", "expected"), [
    # Taking the pinned alias as an agent: the shared pin still holds.
    ("agents: [{name: sileya, owner: x, models: [M-a]}]",
     "agents[sileya].name: 'sileya' is a pinned key: no plan may change it"),
    # Overriding it: it is no agent, so nothing to override.
    ("overrides: {agents: {sileya: {blocked: true}}}", "no shared agent 'sileya' to override"),
    # Re-pinning it "differently" is a duplicate, not a replacement.
    ("pinned: [{alias: sileya, note: gone}]", "'sileya' is defined twice"),
    # A policy that would loosen the shared one: policy is declared once per estate.
    ("policy: {allowed_env: ['*']}", None),
])
def test_hostile_targets_are_refused(text: str, expected: str | None) -> None:
    shared_policy = dict(SHARED, **{"shared/policy.yaml": "policy: {allowed_env: [MINIMAX_*]}"})
    with pytest.raises(DesiredError) as info:
        load_target("stg", _sources(shared_policy), _sources({"targets/stg/x.yaml": text}))
    messages = " | ".join(str(p) for p in info.value.problems)
    assert (expected or "policy is defined twice (first at shared/policy.yaml:1)") in messages


def test_a_target_policy_applies_to_the_shared_models() -> None:
    problems = _problems(p="policy: {allowed_api_hosts: [api.minimax.io]}",
                         m="overrides: {models: {m-a: {litellm_params: {model: minimax/M-a, "
                         "api_base: 'https://evil.example/v1'}}}}")
    assert len(problems) == 1 and "targets/stg/m.yaml:1: overrides.models.m-a.litellm_params" \
        ".api_base: " in problems[0] and "evil.example" in problems[0], problems


@pytest.mark.parametrize("section", ["gateway: {base_url_env: A, admin_key_env: B}",
                                     "overrides: {agents: {李狗蛋: {max_budget: 1}}}"])
def test_gateway_and_overrides_belong_to_targets(section: str) -> None:
    with pytest.raises(DesiredError) as info:
        load_estate(_sources(dict(SHARED, **{"shared/x.yaml": section})))
    field = section.split(":")[0]
    assert [str(p) for p in info.value.problems] == [
        f"shared/x.yaml:1: {field}: only a target's files (desired/targets/NAME/) may declare "
        "this"
    ]


def test_a_target_names_its_gateway_once_and_by_variable_names_only() -> None:
    twice = _problems(a="gateway: {base_url_env: A, admin_key_env: B}",
                      b="gateway: {base_url_env: C, admin_key_env: D}")
    assert twice == ["targets/stg/b.yaml:1: gateway: gateway is defined twice "
                     "(first at targets/stg/a.yaml:1)"]
    literal = _problems(a="gateway: {base_url_env: 'https://u:p@host', admin_key_env: B}")
    assert len(literal) >= 1 and all("targets/stg/a.yaml:1: " in p for p in literal), literal
