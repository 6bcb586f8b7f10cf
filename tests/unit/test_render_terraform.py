"""Terraform-style plans: -/+ replacements, the add/change/destroy line, collapsed untouched
objects, field-level lines for nested changes, the safety rails in every format."""

from __future__ import annotations

import json
from io import StringIO

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan, Untouched, plan_from_data
from reconciler.core.input.safety import LargeChangeApproval, Safety
from reconciler.core.render import render

RECREATE = Change("model", Verb.UPDATE,
    target="gpt-main", before={"litellm_params": {"rpm": 20}},
    after={"litellm_params": {"rpm": None}},
    reason="LiteLLM cannot unset a setting in place: re-created",
)
KEY_REPLACED = (
    Change("key", Verb.DELETE, "bot", ref="t1", label="sk-...old1", before={"blocked": True},
              reason="its secret never reached a sink: replaced"),
    Change("key", Verb.CREATE, "bot", after={"key_alias": "bot", "models": ["A"]}),
)


def rendered(plan: Plan, fmt: str = "text", *, show_untouched: bool = False) -> str:
    out = StringIO()
    render(plan, out, fmt=fmt, show_untouched=show_untouched)
    return out.getvalue()


def test_a_model_recreated_is_a_replacement_counted_as_add_and_destroy() -> None:
    text = rendered(Plan(changes=(RECREATE,)))
    assert text.startswith("-/+ replace model gpt-main  # LiteLLM cannot unset a setting in "
                           "place: re-created\n      litellm_params.rpm: 20 → null\n")
    assert "~ update model" not in text
    assert text.endswith("Plan: 1 to add, 0 to change, 1 to destroy. "
                         "(1 replaced: counted in add and destroy)\n")


def test_a_key_deleted_and_recreated_is_one_replacement_line() -> None:
    text = rendered(Plan(changes=KEY_REPLACED))
    assert text.startswith("-/+ replace key bot (sk-...old1)  # its secret never reached a "
                           'sink: replaced\n      key_alias: "bot"\n      models: ["A"]\n')
    assert "- delete key" not in text and "+ create key" not in text
    block = rendered(Plan(changes=KEY_REPLACED), "markdown").split("```diff\n")[1]
    assert block.startswith("! -/+ replace key bot (sk-...old1)")


def test_summary_states_blocks_and_unblocks_apart_and_only_when_present() -> None:
    plan = Plan(changes=(Change("key", Verb.UPDATE, "a", before={"rpm_limit": 1},
                                after={"rpm_limit": 2}),
                         Change("key", Verb.BLOCK, "b")))
    assert rendered(plan).endswith("Plan: 0 to add, 1 to change, 0 to destroy, 1 to block.\n")
    json_totals = json.loads(rendered(plan, "json"))["totals"]
    assert json_totals == {"add": 0, "change": 1, "destroy": 0, "replace": 0, "rotate": 0,
                           "block": 1, "unblock": 0, "adopt": 0}


def test_adoptions_are_counted_apart_with_their_symbol() -> None:
    adopt = Change("key", Verb.ADOPT, "old-bot", label="sk-...9fAa",
                     before={"metadata": {"managed_by": None}},
                     after={"metadata": {"managed_by": "reconciler"}})
    text = rendered(Plan(changes=(adopt,)))
    assert text.startswith("@ adopt key old-bot (sk-...9fAa)\n")
    assert text.endswith("Plan: 0 to add, 0 to change, 0 to destroy, 1 to adopt.\n")
    assert "! adopt key old-bot" in rendered(Plan(changes=(adopt,)), "markdown")


def test_nested_changes_are_field_level_lines() -> None:
    change = Change("key", Verb.UPDATE,
        target="a",
        before={"metadata": {"team": "a", "cost": {"center": "x"}}, "models": ["X", "Z"]},
        after={"metadata": {"team": "b", "cost": {"center": "y"}}, "models": ["Y", "Z"]},
    )
    text = rendered(Plan(changes=(change,)))
    assert '      metadata.team: "a" → "b"\n' in text
    assert '      metadata.cost.center: "x" → "y"\n' in text
    assert '      models: + "Y", - "X"\n' in text


def test_fallbacks_keep_their_order_in_view() -> None:
    change = Change("routing", Verb.UPDATE, "fallbacks", before={"A": ["X", "Y"]},
                             after={"A": ["Y", "X", "Z"]})
    assert '      A: ["X", "Y"] → ["Y", "X", "Z"]\n' in rendered(Plan(changes=(change,)))


def test_a_reordered_list_still_shows_both_lists() -> None:
    change = Change("key", Verb.UPDATE, "a", before={"models": ["X", "Y"]}, after={"models": ["Y",
                                                                                              "X"]})
    assert '      models: ["X", "Y"] → ["Y", "X"]\n' in rendered(Plan(changes=(change,)))


def _quiet_gateway() -> Plan:
    untouched = [Untouched("unmanaged_key", f"k{i}", f"sk-...{i:04d}") for i in range(300)]
    untouched += [Untouched("pinned_key", "sileya"), Untouched("config_model", "MiniMax")]
    return Plan(untouched=tuple(untouched))


def test_untouched_objects_collapse_to_one_count_line() -> None:
    text = rendered(_quiet_gateway())
    assert text == ("  = Left untouched: 1 pinned key(s), 300 unmanaged key(s), "
                    "1 config.yaml model(s) (--show-untouched lists them)\n\n"
                    "No changes. The gateway matches desired/.\n")
    assert len(rendered(_quiet_gateway(), show_untouched=True).splitlines()) == 302 + 2
    markdown = rendered(_quiet_gateway(), "markdown")
    assert "k17" not in markdown and "300 unmanaged key(s)" in markdown
    assert len(json.loads(rendered(_quiet_gateway(), "json"))["untouched"]) == 302


def _over(safety: Safety | None = None, at: str = "") -> Plan:
    blocks = tuple(Change("key", Verb.BLOCK, f"b{i}") for i in range(4))
    return Plan(changes=blocks, existing={"key": 10, "model": 3},
                safety=safety or Safety(), approval_at=at)


def test_the_rails_show_in_every_format() -> None:
    text = rendered(_over())
    assert "  key destroys: 4/10 = 40% (limit 30%) EXCEEDED\n" in text
    assert "  key updates: 0/10 = 0% (limit 30%) ok\n" in text
    assert "  model updates: 0/3 (not checked: under the minimum)\n" in text
    assert "  ! OVER THE SAFETY RAILS: apply refuses without --force" in text
    markdown = rendered(_over(), "markdown")
    assert "**Safety rails: refused**" in markdown
    assert "| key destroys | 4 | 10 | 40% | 30% | exceeded |" in markdown
    assert "> ⚠️ **`OVER THE SAFETY RAILS" in markdown
    data = json.loads(rendered(_over(), "json"))["safety"]
    assert data["verdict"] == "refused"
    passed = rendered(Plan(changes=(Change("key", Verb.BLOCK, "b"),), existing={"key": 10}),
                      "markdown")
    assert "<details><summary>Safety rails: passed</summary>" in passed


def _approved(max_changes: int) -> Plan:
    approval = LargeChangeApproval(reason="retire <b>pilots</b> `now`", max_changes=max_changes)
    return _over(Safety(approve_large_change=approval), "desired/gateway.yaml:12")


def test_the_approval_is_shown_prominently_and_escaped() -> None:
    text = rendered(_approved(4))
    assert ("  ! Large change approved in desired/gateway.yaml:12: retire <b>pilots</b> `now` "
            "(up to 4 change(s), this plan has 4)\n") in text
    markdown = rendered(_approved(4), "markdown")
    assert "> ⚠️ **`` Large change approved in desired/gateway.yaml:12: retire <b>pilots</b> " \
        "`now` (up to 4 change(s), this plan has 4) ``**" in markdown
    assert "**Safety rails: approved**" in markdown
    assert "LARGE CHANGE REFUSED: the approval in desired/gateway.yaml:12 covers up to 3" \
        in rendered(_approved(3))


def test_show_prints_the_saved_evaluation_not_a_recount() -> None:
    saved = json.loads(json.dumps(_approved(4).data))
    again = plan_from_data(saved)
    assert (again.existing.get("key", 0), again.safety) == (0, Safety())  # never decides anything
    assert "Large change approved in desired/gateway.yaml:12" in rendered(again)
    assert "key destroys: 4/10 = 40% (limit 30%) EXCEEDED" in rendered(again)


