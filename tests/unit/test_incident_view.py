"""block / unblock read the pinned list, the scope and the gateway only (issue 19, item 2)."""

from __future__ import annotations

import pytest

from reconciler.core.errors import DesiredError
from reconciler.core.input.incident import incident_view
from reconciler.core.input.yamlsource import Source

GOOD = Source("desired/gateway.yaml",
              "settings: {scope: team-a}\npinned:\n  - alias: sileya\n"
              "  - key_sha256: " + "ab" * 32 + "\n")
PLACEHOLDER = Source("desired/models.yaml",
                     "models:\n  - id: m\n    model_name: M\n    litellm_params:\n"
                     "      model: x/y\n      api_key: os.environ/REPLACE_ME_M_API_KEY\n")
TYPO = Source("desired/agents/other.yaml",
              "agents:\n  - name: other\n    owner: x\n    modles: [M]\n    blocked: true\n")
BROKEN = Source("desired/agents/broken.yaml", "agents:\n  - name: [unclosed\n")


def test_invalid_files_elsewhere_do_not_matter() -> None:
    view = incident_view([GOOD, PLACEHOLDER, TYPO, BROKEN])
    assert view.estate.settings.scope == "team-a"
    assert view.estate.is_pinned("x", "sileya")
    assert view.estate.is_pinned("ab" * 32, None)
    # An agent entry invalid elsewhere still says blocked: true, and unblock honours it.
    assert view.blocked_agents == {"other"}


def test_a_broken_pinned_list_refuses() -> None:
    bad = Source("desired/pinned.yaml", "pinned:\n  - alias: sileya\n    key_sha256: short\n")
    with pytest.raises(DesiredError) as exc:
        incident_view([GOOD, bad])
    assert [str(p).split(": ")[0] for p in exc.value.problems] == ["desired/pinned.yaml:3"]


@pytest.mark.parametrize("text", [
    "pinned:\n  - alias: [sileya\n",          # unparsable, and it declares pinned:
    "settings: {scope: a\n",                  # unparsable settings: which scope?
    "settings: {scope: Not A Scope}\n",       # invalid scope
])
def test_unreadable_pinned_or_scope_refuses(text: str) -> None:
    with pytest.raises(DesiredError):
        incident_view([GOOD, Source("desired/x.yaml", text)])


def test_two_scopes_refuse() -> None:
    other = Source("desired/z.yaml", "settings: {scope: team-b}\n")
    with pytest.raises(DesiredError) as exc:
        incident_view([GOOD, other])
    assert "defined twice" in exc.value.problems[0].message


def test_a_target_replaces_settings_adds_pins_and_names_its_gateway() -> None:
    own = Source("desired/targets/staging/t.yaml",
                 "settings: {scope: staging}\npinned: [{alias: ci}]\n"
                 "gateway: {base_url_env: S_URL, admin_key_env: S_KEY}\n"
                 "overrides: {agents: {other: {blocked: false}}}\n")
    view = incident_view([GOOD, TYPO], [own])
    assert view.estate.settings.scope == "staging"
    assert view.estate.is_pinned("x", "sileya") and view.estate.is_pinned("x", "ci")
    assert view.gateway is not None and view.gateway.base_url_env == "S_URL"
    assert view.blocked_agents == frozenset()
