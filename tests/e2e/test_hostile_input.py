"""Issue 6 on both gateways: a hostile desired/ tree is refused by validate, plan and apply with
exit 1 and located problems, before any gateway call; a priced deployment now applies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gateways import Gateway
from tests.e2e.harness import model, run_cli, standard_estate, write_desired

# Nothing listens there: a plan or apply that tried the gateway would say "cannot reach".
NOWHERE = "http://127.0.0.1:9"
Estate = dict[str, Any]


def _attacker_api_base(gw: Gateway, estate: Estate) -> str:
    estate["models"].append(model(gw, "exfil", "MiniMax-M2.5-Exfil",
                                  api_base="http://attacker.invalid/v1",
                                  api_key="os.environ/LITELLM_MASTER_KEY"))
    return "os.environ/LITELLM_MASTER_KEY is the gateway's own variable"


def _database_url_in_a_header(gw: Gateway, estate: Estate) -> str:
    estate["models"][0]["litellm_params"]["extra_headers"] = {"X-Db": "os.environ/DATABASE_URL"}
    return "litellm_params.extra_headers.X-Db: os.environ/DATABASE_URL is the gateway's own"


def _reserved_metadata(gw: Gateway, estate: Estate) -> str:
    estate["agents"][0]["metadata"]["reconciler_secret_undelivered"] = True
    return "metadata: reserved keys are set by the tool: reconciler_secret_undelivered"


def _control_characters_in_a_name(gw: Gateway, estate: Estate) -> str:
    estate["agents"][1]["owner"] = "mallory\x1b[2J"
    return f"agents[{gw.name('妮可')}].owner: holds the invisible or control character U+001B"


def _quoted_budget(gw: Gateway, estate: Estate) -> str:
    estate["agents"][0]["max_budget"] = "50"
    return "max_budget: Input should be a valid number ('50' is quoted text"


def _budget_beyond_bounds(gw: Gateway, estate: Estate) -> str:
    estate["agents"][0]["rpm_limit"] = 2**63
    return "rpm_limit: '9223372036854775808' does not fit in 64 bits"


def _fallback_loop(gw: Gateway, estate: Estate) -> str:
    a, b = gw.name("MiniMax-M2.5"), gw.name("MiniMax-M2.5-Lightning")
    estate["fallbacks"] = {a: [b], b: [a]}
    return f"fallbacks loop: {a} -> {b} -> {a}"


def _literal_bearer_header(gw: Gateway, estate: Estate) -> str:
    estate["models"][1]["litellm_params"]["extra_headers"] = {"X-Up": "Bearer abcdef123456"}
    return "a literal Bearer/Basic credential"


HOSTILE: dict[str, Callable[[Gateway, Estate], str]] = {
    f.__name__.lstrip("_"): f for f in (
        _attacker_api_base, _database_url_in_a_header, _reserved_metadata,
        _control_characters_in_a_name, _quoted_budget, _budget_beyond_bounds, _fallback_loop,
        _literal_bearer_header,
    )
}


def _assert_refused(err: str, expected: str) -> None:
    assert expected in err, err
    assert "Traceback" not in err and "cannot reach" not in err
    assert err.rstrip().splitlines()[-1].startswith("error: desired state is invalid")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tree_is_refused_before_any_gateway_call(gateway: Gateway, tmp_path: Path,
                                                         case: str) -> None:
    estate = standard_estate(gateway)
    expected = HOSTILE[case](gateway, estate)
    write_desired(tmp_path / "desired", estate)
    before = set(gateway.live_keys())

    validate = run_cli(None, tmp_path, "validate", "--desired", "desired")
    assert validate.code == 1
    _assert_refused(validate.err, expected)
    for command in (("plan",), ("apply", "--auto-approve", "--secrets-out", "s.jsonl")):
        offline = run_cli(None, tmp_path, *command, "--desired", "desired",
                          base_url=NOWHERE, admin_key="sk-unused-000000")
        assert offline.code == 1, offline.both
        _assert_refused(offline.err, expected)
        # Against the live gateway too: refused the same way, and nothing changed there.
        live = run_cli(gateway, tmp_path, *command, "--desired", "desired")
        assert live.code == 1, live.both
        _assert_refused(live.err, expected)
    assert set(gateway.live_keys()) == before
    assert gateway.models() == {}
    assert not (tmp_path / "s.jsonl").exists()


def test_hostile_files_are_refused_before_any_gateway_call(gateway: Gateway, desired: Path,
                                                           tmp_path: Path) -> None:
    (desired / "bomb.yaml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
                  for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
        encoding="utf-8")
    (desired / "dangling.yaml").symlink_to(desired / "gone.yaml")
    (desired / "blocked.yaml").write_text("settings: {removed_agents: yes}\n", encoding="utf-8")
    result = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert result.code == 1, result.both
    assert "desired/dangling.yaml:1: (file): symlink to nothing (dangling)" in result.err
    assert "cannot reach" not in result.err and "Traceback" not in result.err
    (desired / "dangling.yaml").unlink()
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                     "--secrets-out", "s.jsonl")
    assert result.code == 1, result.both
    assert "desired/bomb.yaml:6: yaml: more than 1000000 values (aliases included)" in result.err
    assert "desired/blocked.yaml:1: settings.removed_agents: 'yes' is ambiguous" in result.err
    assert gateway.models() == {}


def test_upper_case_agent_file_is_read_so_no_agent_is_blocked(gateway: Gateway, desired: Path,
                                                              tmp_path: Path) -> None:
    apply = ("apply", "--desired", "desired", "--auto-approve", "--secrets-out", "s.jsonl")
    assert run_cli(gateway, tmp_path, *apply).code == 0
    for path in (desired / "agents").glob("*.yaml"):
        path.rename(path.with_suffix(".YAML"))
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert "No changes" in plan.out


def test_priced_deployment_validates_and_applies(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["models"][0]["litellm_params"].update(
        input_cost_per_token=0.00001, output_cost_per_token=0.00003, max_tokens=4096)
    estate["policy"] = {"allowed_env": ["MINIMAX_*"], "allowed_api_hosts": []}
    estate["models"][0]["litellm_params"]["api_base"] = "https://api.minimax.io/v1"
    estate["policy"]["allowed_api_hosts"] = ["api.minimax.io"]
    write_desired(tmp_path / "desired", estate)
    assert run_cli(None, tmp_path, "validate", "--desired", "desired").code == 0
    result = run_cli(gateway, tmp_path, "apply", "--desired", "desired", "--auto-approve",
                     "--secrets-out", "s.jsonl")
    assert result.code == 0, result.both
    params = gateway.models()[gateway.name("m25")]["litellm_params"]
    assert params["input_cost_per_token"] == 0.00001
    assert params["output_cost_per_token"] == 0.00003
    again = run_cli(gateway, tmp_path, "plan", "--desired", "desired", "--detailed-exitcode")
    assert again.code == 0, again.both
