"""`routing:` beyond fallbacks: only the declared router settings are owned, compared after
folding the proxy's null-filled retry_policy, and written only as desired/ declares them."""

from __future__ import annotations

import pytest

from reconciler.core import registry
from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.guard import Guard, GuardContext
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import ForbiddenChangeError
from reconciler.core.input.yamlsource import Source
from tests.unit.builders import estate, problems_of

DESIRED = """\
config_models: [A, B]
routing:
  num_retries: 4
  retry_policy: {RateLimitErrorRetries: 5}
  context_window_fallbacks: {A: [B]}
"""
LIVE = {"num_retries": 2, "timeout": 6000.0, "allowed_fails": 3, "fallbacks": [],
        "retry_policy": {"RateLimitErrorRetries": None, "TimeoutErrorRetries": None},
        "context_window_fallbacks": None}


def _live(settings: dict) -> object:
    return registry.parse_live({"key": [], "model": [], "routing": settings})


def test_only_declared_settings_are_compared_and_sent() -> None:
    (change,) = plan_changes(estate(DESIRED), _live(LIVE)).changes
    assert (change.address, change.before, change.after) == (
        "routing.router_settings",
        {"context_window_fallbacks": None, "num_retries": 2, "retry_policy": None},
        {"context_window_fallbacks": [{"A": ["B"]}], "num_retries": 4,
         "retry_policy": {"RateLimitErrorRetries": 5}})
    assert "timeout" not in change.spec["router_settings"]  # not declared: never written
    applied = {**LIVE, "num_retries": 4, "context_window_fallbacks": [{"A": ["B"]}],
               "retry_policy": {"RateLimitErrorRetries": 5, "TimeoutErrorRetries": None}}
    assert plan_changes(estate(DESIRED), _live(applied)).changes == ()


def test_the_guard_writes_only_the_declared_settings() -> None:
    guard = Guard(GuardContext.build(estate(DESIRED), _live(LIVE)))
    (change,) = plan_changes(estate(DESIRED), _live(LIVE)).changes
    guard(change)
    wider = Change("routing", Verb.UPDATE, "router_settings", after={"timeout": 1},
                   spec={"router_settings": {**change.spec["router_settings"], "timeout": 1}})
    with pytest.raises(ForbiddenChangeError, match="not the router settings desired/ declares"):
        guard(wider)


def test_routing_names_declared_models_and_known_retry_classes() -> None:
    text = DESIRED.replace("{A: [B]}", "{A: [C]}").replace("RateLimitErrorRetries", "Oops")
    assert problems_of([Source("r.yaml", text)]) == [
        "r.yaml:4: routing.retry_policy: unknown retry class Oops; one of: "
        "BadRequestErrorRetries, AuthenticationErrorRetries, TimeoutErrorRetries, "
        "RateLimitErrorRetries, ContentPolicyViolationErrorRetries, InternalServerErrorRetries, "
        "ServiceUnavailableErrorRetries, NotFoundErrorRetries, DefaultRetries"]
    assert problems_of([Source("r.yaml", DESIRED.replace("{A: [B]}", "{A: [C]}"))]) == [
        "r.yaml:5: routing.context_window_fallbacks.A[0]: model 'C' is declared nowhere (add "
        "it under models: or config_models:)"]
