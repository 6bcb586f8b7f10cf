"""Issue case 7, desired/ side: explicit YAML tags, %TAG directives, YAML-1.1-only numbers and
lone combining marks are located problems (exit 1, FILE:LINE), never tracebacks or values
that slip past the strict types."""

from __future__ import annotations

import pytest

from reconciler.core.errors import DesiredError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source

AGENT = "config_models: [M]\nagents:\n  - name: a\n    owner: o\n    models: [M]\n"
EXPLICIT = ('the explicit tag {} is not allowed: write the value plainly (50 for a number, '
            '"50" for text, null, true/false)')


def _problems(text: str) -> list[str]:
    with pytest.raises(DesiredError) as caught:
        load_estate([Source("desired/a.yaml", text)])
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("value", "line"), [
    ('!!int "50"', EXPLICIT.format("!!int")),
    ("!!float 50", EXPLICIT.format("!!float")),
    ("!!null x", EXPLICIT.format("!!null")),
    ("!<tag:yaml.org,2002:int> 5", EXPLICIT.format("!!int")),
    ("1_000", "'1_000' is ambiguous between YAML versions: write it in decimal without '_', "
              "or quote it for text"),
    ("0b110010", "'0b110010' is ambiguous between YAML versions: write it in decimal "
                 "without '_', or quote it for text"),
])
def test_a_tagged_or_yaml_1_1_budget_is_refused_where_it_stands(value: str, line: str) -> None:
    assert _problems(AGENT + f"    max_budget: {value}\n") == [
        f"desired/a.yaml:6: agents[0].max_budget: {line}"]


def test_a_tag_directive_cannot_make_bang_bang_mean_something_else() -> None:
    text = "%TAG !! tag:evil.example,2000:\n---\n" + AGENT + "    max_budget: !!int 5\n"
    assert _problems(text) == [
        "desired/a.yaml:8: agents[0].max_budget: the tag tag:evil.example,2000:int is not "
        "allowed: desired/ holds text, numbers, true/false, null, lists and mappings only"]


def test_a_collection_tag_must_match_its_collection() -> None:
    assert _problems(AGENT.replace("    models: [M]", "    models: !!map [M]")) == [
        "desired/a.yaml:5: agents[0].models: the tag !!map is not allowed: desired/ holds "
        "text, numbers, true/false, null, lists and mappings only"]


def test_str_tag_and_own_collection_tags_still_read() -> None:
    estate = load_estate([Source("desired/a.yaml", AGENT.replace("owner: o", "owner: !!str 7")
                                 .replace("    models: [M]", "    models: !!seq [M]"))])
    assert estate.agents[0].owner == "7" and estate.agents[0].models == ["M"]


@pytest.mark.parametrize("name", ["\u0301", "\u0301abc", "\u20dd"])
def test_a_name_starting_with_a_combining_mark_is_refused(name: str) -> None:
    assert _problems(AGENT.replace("name: a", f"name: '{name}'")) == [
        f"desired/a.yaml:3: agents[0].name: starts with the combining mark U+{ord(name[0]):04X}: "
        "a name starts with a letter, digit or symbol"]


def test_a_combining_mark_after_a_letter_is_fine() -> None:
    assert load_estate([Source("desired/a.yaml", AGENT.replace("name: a", "name: 'e\u0301'"))
                        ]).agents[0].name == "\u00e9"


def test_a_reserved_metadata_field_is_called_reserved_not_a_secret() -> None:
    assert _problems(AGENT + "    metadata:\n      key_duration: 30d\n") == [
        "desired/a.yaml:6: agents[a].metadata: reserved keys are set by the tool: key_duration"]


@pytest.mark.parametrize("param", ["aws_bedrock_runtime_endpoint", "aws_sts_endpoint",
                                   "sagemaker_base_url", "api_endpoint", "proxy_url"])
def test_allowed_api_hosts_covers_every_endpoint_param(param: str) -> None:
    text = ("config_models: [M]\npolicy: {allowed_api_hosts: [api.minimax.io]}\nmodels:\n"
            "  - id: m1\n    model_name: M2\n    litellm_params:\n      model: bedrock/x\n"
            f"      {param}: https://evil.example/v1\n")
    assert _problems(text) == [
        f"desired/a.yaml:8: models[m1].litellm_params.{param}: host 'evil.example' is not in "
        "policy.allowed_api_hosts"]


def test_any_url_valued_param_is_checked_and_allowed_hosts_pass() -> None:
    text = ("config_models: [M]\npolicy: {allowed_api_hosts: [api.minimax.io]}\nmodels:\n"
            "  - id: m1\n    model_name: M2\n    litellm_params:\n      model: x/y\n"
            "      api_base: https://api.minimax.io/v1\n      odd_param: http://evil.example\n")
    assert _problems(text) == [
        "desired/a.yaml:9: models[m1].litellm_params.odd_param: host 'evil.example' is not in "
        "policy.allowed_api_hosts"]
