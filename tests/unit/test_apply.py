"""apply_plan against a recording fake gateway: order, bodies, stopping, sink failures."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import SecretSinkError
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import StepStatus, apply_plan
from tests.unit.builders import estate, managed_model, parse_live
from tests.unit.fake_gateway import FakeGateway

KEY_SPEC: dict[str, Any] = {
    "key_alias": "李狗蛋",
    "models": ["MiniMax-M2.5"],
    "max_budget": 50,
    "budget_duration": None,
    "rpm_limit": None,
    "tpm_limit": None,
    "metadata": {"agent": "李狗蛋", "owner": "sileya", "managed_by": "reconciler"},
    "blocked": False,
}


class RecordingSink:
    def __init__(self, error: str | None = None) -> None:
        self.delivered: list[tuple[str, str, str]] = []
        self.error = error

    def deliver(self, *, agent: str, raw_key: str, token: str) -> None:
        if self.error is not None:
            raise SecretSinkError(self.error)
        self.delivered.append((agent, raw_key, token))


def test_changes_run_in_plan_order_with_the_right_bodies() -> None:
    fake = FakeGateway()
    plan = Plan(
        changes=(
            Change("model", Verb.DELETE, "old", before={"model_name": "Old"}),
            Change("key", Verb.BLOCK, "妮可", ref="tok-nicole"),
            Change("key", Verb.UPDATE,
                target="阿强", before={"rpm_limit": 1}, after={"rpm_limit": 60}, ref="tok-aqiang"
            ),
            Change("key", Verb.CREATE, "李狗蛋", after=KEY_SPEC),
            Change("key", Verb.DELETE, "旧的", ref="tok-old"),
            Change("key", Verb.UNBLOCK, "小红", ref="tok-red"),
            Change("model", Verb.CREATE,
                target="m1",
                after={
                    "model_name": "M1",
                    "litellm_params": {"model": "x/y"},
                    "model_info": {"id": "m1"},
                },
            ),
        )
    )
    sink = RecordingSink()
    report = apply_plan(plan, fake.client(), sink)

    assert report.ok
    raw = next(body["key"] for _, path, body in fake.calls if path == "/key/generate")
    assert fake.calls == [
        (
            "POST",
            "/model/new",
            {"model_name": "M1", "litellm_params": {"model": "x/y"}, "model_info": {"id": "m1"}},
        ),
        # A delete is not broadcast to other replicas: the key is blocked first.
        ("POST", "/key/block", {"key": "tok-old"}),
        ("GET", "/config/field/info", None),  # the auth cache's TTL, for the bound said
        ("POST", "/key/delete", {"keys": ["tok-old"]}),
        (
            "POST",
            "/key/generate",
            {
                "key_alias": "李狗蛋",
                "models": ["MiniMax-M2.5"],
                "max_budget": 50,
                "metadata": KEY_SPEC["metadata"],
                "key": raw,
            },
        ),
        ("POST", "/key/update", {"key": "tok-aqiang", "rpm_limit": 60}),
        ("POST", "/key/unblock", {"key": "tok-red"}),
        ("POST", "/key/block", {"key": "tok-nicole"}),
        ("POST", "/model/delete", {"id": "old"}),
        ("GET", "/key/list", None),  # after creates: no alias may have two managed keys
    ]
    assert sink.delivered == [("李狗蛋", raw, hashlib.sha256(raw.encode()).hexdigest())]
    assert report.data["done"] == 7
    created = next(s for s in report.data["steps"] if s["action"] == "create_key")
    assert created["message"] == f"created sk-...{raw[-4:]}; secret delivered"


def test_update_model_patches_with_its_id_and_only_the_changed_params() -> None:
    desired = estate(
        "models:\n  - id: m1\n    model_name: M1\n    litellm_params:\n"
        "      {model: x/y, api_key: os.environ/K, rpm: 300}\n"
    )
    live = parse_live(
        [], [managed_model("m1", "M1", {"model": "x/y", "api_key": "os.environ/K", "rpm": 120})]
    )
    plan = plan_changes(desired, live)
    fake = FakeGateway()
    assert apply_plan(plan, fake.client(), None).ok

    ((method, path, body),) = fake.calls
    assert (method, path) == ("PATCH", "/model/m1/update")
    assert body["litellm_params"] == {"rpm": 300}
    assert body["model_info"]["id"] == "m1"
    assert body["model_info"]["managed_by"] == "reconciler"
    assert body["model_info"]["reconciler"]["litellm_params"]["rpm"] == 300


def test_plan_that_creates_keys_refuses_to_start_without_a_sink() -> None:
    fake = FakeGateway()
    plan = Plan(changes=(Change("model", Verb.CREATE, "m1", after={}), Change("key", Verb.CREATE,
                                                                              "a", after=KEY_SPEC)))
    with pytest.raises(SecretSinkError, match="--secrets-out FILE or --secrets-cmd CMD"):
        apply_plan(plan, fake.client(), None)
    assert fake.calls == []


def test_first_failure_stops_the_run_and_later_steps_are_not_attempted() -> None:
    fake = FakeGateway(fail={"POST /key/update": (400, {"detail": "tpm_limit is invalid"})})
    plan = Plan(
        changes=(
            Change("key", Verb.UPDATE, "a", after={"tpm_limit": -1}, ref="tok-a"),
            Change("key", Verb.UNBLOCK, "b", ref="tok-b"),
            Change("key", Verb.BLOCK, "c", ref="tok-c"),
        )
    )
    seen: list[str] = []
    report = apply_plan(plan, fake.client(), None, on_step=lambda r: seen.append(r.status.value))

    assert fake.routes == ["POST /key/update"]
    assert [(s["target"], s["status"]) for s in report.data["steps"]] == [
        ("a", "failed"),
        ("b", "not_attempted"),
        ("c", "not_attempted"),
    ]
    assert report.data["steps"][0]["message"] == (
        "POST /key/update answered 400: tpm_limit is invalid"
    )
    assert seen == ["failed", "not_attempted", "not_attempted"]
    assert not report.ok
    assert (report.count(StepStatus.FAILED), report.count(StepStatus.NOT_ATTEMPTED)) == (1, 2)


def test_failing_sink_creates_nothing_and_reports_no_secret() -> None:
    fake = FakeGateway()
    plan = Plan(
        changes=(Change("key", Verb.CREATE, "李狗蛋", after=KEY_SPEC), Change("key", Verb.BLOCK,
                                                                           "x",
                                                                           ref="tok-x"))
    )
    report = apply_plan(plan, fake.client(), RecordingSink(error="disk full"))

    assert fake.routes == []  # the secret goes to the sink first; no sink, no key
    failed, skipped = report.results
    assert failed.status is StepStatus.FAILED
    assert failed.message == "disk full"
    assert skipped.status is StepStatus.NOT_ATTEMPTED


def test_client_error_on_generate_does_not_look_for_a_created_key() -> None:
    fake = FakeGateway(fail={"POST /key/generate": (400, {"error": {"message": "alias taken"}})})
    apply_plan(
        Plan(changes=(Change("key", Verb.CREATE, "a",
                             after=KEY_SPEC),)), fake.client(), RecordingSink()
    )
    assert fake.routes == ["POST /key/generate"]


def test_update_model_sends_a_new_model_name() -> None:
    fake = FakeGateway()
    plan = Plan(
        changes=(
            Change("model", Verb.UPDATE,
                target="m",
                after={"model_name": "N"},
                spec={"model_info": {"managed_by": "reconciler"}},
            ),
        )
    )
    assert apply_plan(plan, fake.client(), None).ok
    assert fake.calls[0][2]["model_name"] == "N"


def test_removed_model_param_recreates_the_deployment_under_the_same_id() -> None:
    desired = estate(
        "models:\n  - id: m1\n    model_name: M1\n    litellm_params:\n"
        "      {model: x/y, api_key: os.environ/K}\n"
    )
    live = parse_live(
        [], [managed_model("m1", "M1", {"model": "x/y", "api_key": "os.environ/K", "rpm": 120})]
    )
    plan = plan_changes(desired, live)
    [change] = plan.changes
    assert change.after == {"litellm_params": {"rpm": None}}
    assert change.reason == "LiteLLM cannot unset a setting in place: re-created"
    fake = FakeGateway()
    assert apply_plan(plan, fake.client(), None).ok
    assert fake.routes == ["POST /model/delete", "POST /model/new"]
    created = fake.calls[1][2]
    assert created["model_info"]["id"] == "m1"
    assert created["litellm_params"] == {"model": "x/y", "api_key": "os.environ/K"}


def test_ctrl_c_mid_apply_still_reports_what_was_and_was_not_done() -> None:
    fake = FakeGateway()
    calls = 0

    def interrupt_second(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += request.url.path == "/key/block"  # the TTL read for the bound said is not one
        if calls == 2 and request.url.path == "/key/block":
            raise KeyboardInterrupt
        return fake.handle(request)

    client = GatewayClient("http://fake", "sk-admin-0000000000",
                           transport=httpx.MockTransport(interrupt_second), parallelism=1)
    plan = Plan(changes=(Change("key", Verb.BLOCK, "a", ref="tok-a"), Change("key", Verb.BLOCK,
                                                                             "b", ref="tok-b"),
                         Change("key", Verb.BLOCK, "c", ref="tok-c")))
    report = apply_plan(plan, client, None)
    assert [(s["target"], s["status"]) for s in report.data["steps"]] == [
        ("a", "done"), ("b", "failed"), ("c", "not_attempted")]
    assert report.data["steps"][1]["message"] == (
        "interrupted: this change may or may not have been made")
