"""Health checks against desired/ and the fallback activity of the last window."""

from __future__ import annotations

import io
from typing import Any

from reconciler.core.observe.health import Level, Probe, assess, fallback_activity, render_health
from tests.unit.builders import estate, key_row, model_row
from tests.unit.test_usage import DAY, log, real_rows

ESTATE = estate("""
config_models: [C]
models:
  - {id: m-a, model_name: A, litellm_params: {model: openai/a, api_key: os.environ/K}}
fallbacks: {A: [C]}
pinned: [{alias: sileya}]
agents:
  - {name: bob, owner: sileya, models: [A, C]}
""")


def healthy_probe(**changes: Any) -> Probe:
    fields: dict[str, Any] = {
        "ready": True, "ready_detail": "healthy, database connected", "alive": True,
        "model_rows": [model_row("m-a", "A", {"model": "openai/a"}),
                       model_row("cfg-1", "C", {"model": "openai/c"}, db_model=False)],
        "key_rows": [key_row("sileya")], "fallbacks": {"A": ["C"]},
    }
    return Probe(**{**fields, **changes})


def levels(probe: Probe) -> dict[str, Level]:
    return {c.name: c.level for c in assess(ESTATE, probe, DAY).checks}


def test_a_gateway_that_serves_desired_is_healthy() -> None:
    report = assess(ESTATE, healthy_probe(), DAY)
    assert report.healthy
    assert set(levels(healthy_probe()).values()) == {Level.OK}


def test_a_needed_model_without_deployment_is_unhealthy() -> None:
    rows = [model_row("m-a", "A", {"model": "openai/a"})]
    report = assess(ESTATE, healthy_probe(model_rows=rows), DAY)
    assert not report.healthy
    check = next(c for c in report.checks if c.name == "model C")
    assert check.detail == "NO deployment serves it; agents bob cannot use it"
    assert next(c for c in report.checks if c.name == "fallback A").level is Level.WARN


def test_a_blocked_deployment_serves_nothing() -> None:
    blocked = model_row("m-a", "A", {"model": "openai/a"})
    blocked["model_info"]["blocked"] = True
    rows = [blocked, model_row("cfg-1", "C", {"model": "openai/c"}, db_model=False)]
    assert levels(healthy_probe(model_rows=rows))["model A"] is Level.FAIL


def test_pinned_key_missing_or_blocked_and_fallbacks_drifted() -> None:
    assert levels(healthy_probe(key_rows=[]))["pinned key sileya"] is Level.FAIL
    blocked = levels(healthy_probe(key_rows=[key_row("sileya", blocked=True)]))
    assert blocked["pinned key sileya"] is Level.FAIL
    drifted = assess(ESTATE, healthy_probe(fallbacks={}), DAY)
    check = next(c for c in drifted.checks if c.name == "fallbacks")
    assert check.level is Level.FAIL and "(run apply)" in check.detail


def test_an_unready_gateway_is_not_asked_anything_else() -> None:
    report = assess(ESTATE, Probe(ready=False, ready_detail="not ready: db (HTTP 503)",
                                  alive=True), DAY)
    assert [c.name for c in report.checks] == ["readiness", "liveliness"]
    assert not report.healthy


def test_fallback_activity_from_real_rows() -> None:
    activity = fallback_activity(real_rows(), DAY)
    busy = next(a for g, a in activity.items() if g.endswith("-busy"))
    good = next(a for g, a in activity.items() if g.endswith("-good"))
    assert (busy.requests, busy.fell_back, busy.failed) == (1, 1, 0)
    assert list(busy.to) == [next(g for g in activity if g.endswith("-good"))]
    assert (good.requests, good.fell_back) == (2, 0)


def test_refused_requests_are_not_gateway_failures() -> None:
    rows = [log("a" * 64, group="A", status="failure", error="Key is blocked."),
            log("a" * 64, group="A", status="failure", error="litellm.APIError: 529")]
    report = assess(ESTATE, healthy_probe(log_rows=rows), DAY)
    assert report.activity["A"].data == {"requests": 2, "fell_back": 0, "to": {}, "failed": 1,
                                         "refused": 1}
    warn = next(c for c in report.checks if c.name == "traffic A")
    assert warn.level is Level.WARN and report.healthy
    out = io.StringIO()
    render_health(report, out, "text")
    assert "A: 2 request(s), 0 fell back, 1 failed, 1 refused" in out.getvalue()


def test_health_names_a_team_whose_models_have_no_deployment() -> None:
    teams = estate("""
config_models: [C]
models:
  - {id: m-a, model_name: A, litellm_params: {model: openai/a, api_key: os.environ/K}}
teams:
  - {name: research, models: [A, C]}
""")
    rows = [model_row("m-a", "A", {"model": "openai/a"})]
    check = next(c for c in assess(teams, healthy_probe(model_rows=rows), DAY).checks
                 if c.name == "team research")
    assert (check.level, check.detail) == (
        Level.FAIL, "NO deployment serves C: the team's keys cannot use it")
    served = next(c for c in assess(teams, healthy_probe(), DAY).checks
                  if c.name == "team research")
    assert (served.level, served.detail) == (Level.OK, "2 model(s) served")
