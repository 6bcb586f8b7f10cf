"""apply for adopt changes and recorded blocks, against the recording fake gateway."""

from __future__ import annotations

from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.plan import Plan
from reconciler.gateway.executor import apply_plan
from tests.unit.fake_gateway import FakeGateway


def test_adopt_key_is_one_key_update_that_never_regenerates() -> None:
    fake = FakeGateway()
    after = {"key_alias": "李狗蛋", "metadata": {"managed_by": "reconciler", "agent": "李狗蛋"}}
    plan = Plan(changes=(Change("key", Verb.ADOPT, "李狗蛋", after=after, ref="tok-li"),))
    report = apply_plan(plan, fake.client(), None)  # no sink: adoption creates no secret
    assert report.ok
    assert fake.calls == [("POST", "/key/update", {"key": "tok-li", **after})]


def test_adopt_model_patches_model_info_and_is_never_recreated() -> None:
    fake = FakeGateway()
    spec = {"model_info": {"id": "m25", "managed_by": "reconciler", "reconciler": {"sha256": "x"}}}
    # A None in `after` would re-create an updated model; an adopted one is only patched.
    change = Change("model", Verb.ADOPT, "m25", after={"model_info": {"note": None}}, spec=spec)
    assert apply_plan(Plan(changes=(change,)), fake.client(), None).ok
    assert fake.routes == ["PATCH /model/m25/update"]
    body = fake.calls[0][2]
    assert body["model_info"]["managed_by"] == "reconciler" and body["model_info"]["id"] == "m25"
    assert "litellm_params" not in body


def test_block_and_unblock_record_that_the_tool_made_them() -> None:
    fake = FakeGateway()
    metadata = {"managed_by": "reconciler", "reconciler_applied": {"blocked": True}}
    plan = Plan(changes=(
        Change("key", Verb.BLOCK, "a", ref="tok-a", spec={"metadata": metadata}),
        Change("key", Verb.UNBLOCK, "b", ref="tok-b"),  # a saved plan from before records
    ))
    assert apply_plan(plan, fake.client(), None).ok
    assert fake.calls == [  # apply order: unblocks before blocks
        ("POST", "/key/unblock", {"key": "tok-b"}),
        ("POST", "/key/update", {"key": "tok-a", "blocked": True, "metadata": metadata}),
        ("GET", "/config/field/info", None),  # no replicas named: the cache TTL is the bound
    ]
