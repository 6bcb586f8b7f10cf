"""Issue 6: the promises hold whatever desired/ holds. Each case is a fixture named after it;
every one ends in located `FILE:LINE: field: message` problems, never a traceback."""

from __future__ import annotations

import pytest

from reconciler.commands.cli import main
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import MAX_ALIASES, Source
from tests.unit.builders import FIXTURES, fixture_sources, problems_of

GATEWAY_VAR = "is the gateway's own variable: a deployment would send it to its api_base; " \
    "refused whatever the policy says"
NOT_ALLOWED_TAG = "is not allowed: desired/ holds text, numbers, true/false, null, lists and " \
    "mappings only"
AMBIGUOUS_BOOL = "is ambiguous (a boolean in YAML 1.1, text in YAML 1.2): write true or false, " \
    "or quote it for text"


def test_2_gateway_variables_are_never_sent_to_an_api_base() -> None:
    assert problems_of(fixture_sources("gateway-variable-sent-to-attacker")) == [
        f"models.yaml:8: models[exfil].litellm_params.api_key: "
        f"os.environ/LITELLM_MASTER_KEY {GATEWAY_VAR}",
        f"models.yaml:10: models[exfil].litellm_params.extra_headers.X-Trace: "
        f"os.environ/DATABASE_URL {GATEWAY_VAR}",
        f"models.yaml:15: models[exfil-2].litellm_params.api_base: "
        f"os.environ/REDIS_URL {GATEWAY_VAR}",
        f"models.yaml:16: models[exfil-2].litellm_params.api_key: "
        f"os.environ/litellm_salt_key {GATEWAY_VAR}",
        "models.yaml:17: models[exfil-2].litellm_params.organization: "
        "os.environ/' LITELLM_MASTER_KEY' is not a variable name",
    ]


def test_2_policy_narrows_references_and_hosts() -> None:
    assert problems_of(fixture_sources("policy-narrows-references-and-hosts")) == [
        "models.yaml:18: models[refused].litellm_params.api_base: "
        "host 'attacker.example' is not in policy.allowed_api_hosts",
        "models.yaml:19: models[refused].litellm_params.api_key: "
        "os.environ/AWS_SECRET_ACCESS_KEY is not in policy.allowed_env",
        "models.yaml:24: models[hidden-host].litellm_params.base_url: "
        "must be a literal URL while policy.allowed_api_hosts is set (its host is checked)",
    ]


def test_2_policy_may_be_declared_once() -> None:
    sources = [Source("a.yaml", "policy: {allowed_env: [A]}\n"),
               Source("b.yaml", "policy: {allowed_env: [B]}\n")]
    assert problems_of(sources) == ["b.yaml:1: policy: policy is defined twice (first at a.yaml:1)"]


def test_3_alias_bombs_deep_nesting_and_extra_documents_are_located() -> None:
    assert problems_of(fixture_sources("yaml-bomb-and-deep-nesting")) == [
        "billion-laughs.yaml:7: yaml: more than 1000000 values (aliases included)",
        "deep-nesting.yaml:3: agents[0].metadata" + ".a" * 61 + ": nested deeper than 64 levels",
        "deeper-than-libyaml.yaml:1: yaml: invalid YAML: exceeded maximum nesting depth",
        "two-documents.yaml:2: yaml: one YAML document per file (found a second ---)",
    ]


def test_3_too_many_aliases_is_located() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert problems_of([Source("aliases.yaml", text)]) == [
        f"aliases.yaml:2: b[{MAX_ALIASES}]: more than {MAX_ALIASES} aliases"
    ]


def test_3_oversized_text_is_refused_before_parsing() -> None:
    text = "# " + "x" * (10 * 1024 * 1024) + "\n"
    assert problems_of([Source("big.yaml", text)]) == [
        "big.yaml:1: yaml: file is larger than 10 MiB"
    ]


def test_4_only_json_values_and_no_yaml_1_1_guesses() -> None:
    assert problems_of(fixture_sources("json-unsafe-values")) == [
        f"binary.yaml:3: agents[0].metadata.blob: the tag !!binary {NOT_ALLOWED_TAG}",
        "date.yaml:3: agents[0].metadata.since: '2024-01-01' is read as a date, which JSON "
        "cannot carry: quote it",
        "inf.yaml:3: agents[0].max_budget: '.inf' is not a finite number, which JSON cannot carry",
        "nan.yaml:3: agents[0].metadata.ratio: '.nan' is not a finite number, which JSON "
        "cannot carry",
        f"off.yaml:3: agents[0].blocked: 'off' {AMBIGUOUS_BOOL}",
        "over-64-bits.yaml:3: agents[0].rpm_limit: '9223372036854775808' does not fit in 64 "
        "bits (at most 9223372036854775807)",
        f"set.yaml:3: agents[0].metadata.tags: the tag !!set {NOT_ALLOWED_TAG}",
        "yaml12-number.yaml:3: agents[0].rpm_limit: '1e30' is ambiguous (text in YAML 1.1, a "
        "number in YAML 1.2): write it with a dot and a signed exponent (1.0e+30) or quote it "
        "for text",
        f"yes.yaml:3: agents[0].blocked: 'yes' {AMBIGUOUS_BOOL}",
    ]


def test_4_no_type_coercion_and_the_proxys_bounds() -> None:
    assert problems_of(fixture_sources("no-type-coercion")) == [
        "agents.yaml:6: agents[a].max_budget: Input should be a valid number "
        "('50' is quoted text: write it without quotes)",
        "agents.yaml:7: agents[a].rpm_limit: Input should be a valid integer",
        "agents.yaml:8: agents[a].tpm_limit: Input should be a valid integer "
        "('1000' is quoted text: write it without quotes)",
        "agents.yaml:12: agents[b].max_budget: Input should be a valid number",
        "agents.yaml:13: agents[b].blocked: Input should be a valid boolean (write true or false)",
        "agents.yaml:17: agents[c].max_budget: Input should be less than or equal to "
        "1000000000000",
    ]


def test_4_largest_values_the_proxy_stores_are_accepted() -> None:
    text = ("config_models: [M]\nagents:\n  - {name: a, owner: o, models: [M], "
            "rpm_limit: 9223372036854775807, tpm_limit: 0, max_budget: 1000000000000}\n")
    (agent,) = load_estate([Source("a.yaml", text)]).agents
    assert (agent.rpm_limit, agent.max_budget) == (2**63 - 1, 1e12)


def test_4_fallback_loops_are_refused() -> None:
    assert problems_of(fixture_sources("fallback-loop")) == [
        "routing.yaml:3: fallbacks.A: fallbacks loop: A -> B -> C -> A"
    ]


def test_5_reserved_metadata_is_refused() -> None:
    assert problems_of(fixture_sources("reserved-metadata")) == [
        "agents.yaml:6: agents[a].metadata: reserved keys are set by the tool: "
        "reconciler_secret_undelivered",
        "agents.yaml:11: agents[b].metadata: reserved keys are set by the tool: "
        "Reconciler, managed_by, owner",
        "agents.yaml:15: agents[c].metadata: reserved keys are set by the tool: agent",
        "agents.yaml:20: models[m].model_info: reserved keys are set by the tool: "
        "db_model, reconciler",
    ]


def test_8_names_are_printable_and_not_empty() -> None:
    assert problems_of(fixture_sources("hostile-names")) == [
        "agents.yaml:3: agents[0].name: holds the invisible or control character U+001B: "
        "use printable text",
        "agents.yaml:4: agents[1].name: holds the invisible or control character U+2028: "
        "use printable text",
        "agents.yaml:5: agents[2].name: holds the invisible or control character U+200B: "
        "use printable text",
        "agents.yaml:6: agents[3].name: holds the invisible or control character U+202E: "
        "use printable text",
        "agents.yaml:6: agents[3].owner: String should have at least 1 character",
        "agents.yaml:7: agents[ok].metadata: key '' must not be empty",
        "agents.yaml:9: pinned[0].alias: String should have at least 1 character",
    ]


def test_8_names_equal_after_nfc_are_one_name() -> None:
    assert problems_of(fixture_sources("names-equal-after-nfc")) == [
        "nfd.yaml:2: agents[José].name: 'José' is defined twice (first at nfc.yaml:3)"
    ]


def test_8_metadata_keys_equal_after_nfc_collide() -> None:
    text = ("config_models: [M]\nagents:\n  - name: a\n    owner: o\n    models: [M]\n"
            "    metadata: {\"Jos\\u00e9\": 1, \"Jose\\u0301\": 2}\n")
    assert problems_of([Source("a.yaml", text)]) == [
        "a.yaml:6: agents[a].metadata: key 'José' appears twice once normalised (NFC)"
    ]


def test_9_secrets_are_found_by_word_url_and_header() -> None:
    literal = "literal secret: use an os.environ/VARIABLE reference"
    userinfo = "a URL with user:password@: put the credential in an os.environ/ reference, " \
        "not the URL"
    assert problems_of(fixture_sources("secrets-by-word")) == [
        f"models.yaml:6: agents[a].metadata.api_key: {literal}",
        f"models.yaml:6: agents[a].metadata.notes: {userinfo}",
        f"models.yaml:6: agents[a].metadata.sessionToken: {literal}",
        f"models.yaml:12: models[m].litellm_params.api_base: {userinfo}",
        "models.yaml:15: models[m].litellm_params.extra_headers.X-Forward: a literal "
        "Bearer/Basic credential: use an os.environ/VARIABLE reference",
        f"models.yaml:16: models[m].model_info.apiKey: {literal}",
    ]


def test_9_a_priced_deployment_is_valid() -> None:
    (model,) = load_estate(fixture_sources("priced-deployment")).models
    assert model.litellm_params["input_cost_per_token"] == 0.00001
    assert model.model_info["cache_read_input_token_cost"] == 0.000001


@pytest.mark.parametrize("case", [
    "gateway-variable-sent-to-attacker", "yaml-bomb-and-deep-nesting", "json-unsafe-values",
    "no-type-coercion", "reserved-metadata", "hostile-names", "secrets-by-word",
])
def test_validate_exits_1_with_located_lines_only(case: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = FIXTURES / case
    assert main(["validate", "--desired", str(root)]) == 1
    *problems, summary = capsys.readouterr().err.splitlines()
    assert summary.startswith("error: desired state is invalid (")
    assert problems and all(line.startswith(f"{root}/") for line in problems)
    # Names are printed escaped or by index: nothing reaches the terminal raw.
    assert all(line.isprintable() for line in problems)


def test_3_an_aliased_subtree_is_checked_for_each_agent_that_holds_it() -> None:
    text = ("config_models: [M]\nagents:\n"
            "  - {name: a, owner: o, models: [M], metadata: &meta {creds: {token: abc}}}\n"
            "  - {name: b, owner: o, models: [M], metadata: *meta}\n")
    assert problems_of([Source("a.yaml", text)]) == [
        "a.yaml:3: agents[a].metadata.creds.token: literal secret: use an os.environ/VARIABLE "
        "reference",
        "a.yaml:4: agents[b].metadata.creds.token: literal secret: use an os.environ/VARIABLE "
        "reference",
    ]
