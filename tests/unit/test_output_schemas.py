"""The published schemas (schema/outputs/) accept what the code emits and reject what it must not.

The e2e harness validates every JSON output of the suite against them; these tests show that
check is not a no-op: a missing field, a wrong type or another format_version fails it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.commands.audit import REPORT_FORMAT_VERSION
from reconciler.core.engine.importer import ImportResult
from reconciler.core.engine.plan import Plan
from reconciler.core.observe.health import assess
from reconciler.core.observe.usage_flags import Flag
from reconciler.core.observe.usage_join import build_report
from reconciler.core.render.import_yaml import summary_data
from reconciler.core.render.usage import report_data
from reconciler.gateway.executor import ApplyReport
from tests.output_schemas import SCHEMAS, check_cli_outputs, problems
from tests.unit.test_health import ESTATE as HEALTH_ESTATE
from tests.unit.test_health import healthy_probe
from tests.unit.test_usage import DAY, ESTATE, keys, log


def _outputs() -> dict[str, dict[str, Any]]:
    rows = keys()
    usage = build_report(ESTATE, rows, [log(rows[0]["token"], group="M-fast")], DAY)
    flag = Flag(name="bob", kind="budget", reason="90 % of budget", stop="set blocked: true")
    report = {"format_version": REPORT_FORMAT_VERSION, "time": "2026-11-25T10:00:00+00:00",
              "gateway": "http://gw",
              "tool_version": "0", "desired": "desired", "commit": None, "plan_file": None,
              "actor": "ci", **ApplyReport().data}
    return {
        "plan": Plan().data,
        "usage": report_data(usage, [flag]),
        "health": assess(HEALTH_ESTATE, healthy_probe(), DAY).data,
        "apply-report": report,
        "import": summary_data(ImportResult(notes=["n"]), ["desired/imported-agents.yaml"]),
    }


OUTPUTS = _outputs()


def test_every_output_has_a_published_schema_and_a_format_version() -> None:
    assert {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.json")} == set(OUTPUTS)
    for name, data in OUTPUTS.items():
        assert problems(name, data) == [], name
        assert isinstance(data["format_version"], int)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_a_missing_field_a_wrong_type_or_version_fails(name: str) -> None:
    data = OUTPUTS[name]
    for field in ("format_version", next(k for k in data if k != "format_version")):
        broken = {k: v for k, v in data.items() if k != field}
        assert any(field in p for p in problems(name, broken)), (name, field)
    newer = {**data, "format_version": data["format_version"] + 1}
    assert problems(name, newer)
    retyped = copy.deepcopy(data)
    first = next(k for k in data if k != "format_version")
    retyped[first] = 12345 if not isinstance(data[first], int | float) else "text"
    assert problems(name, retyped)


def test_newer_fields_are_allowed_where_versions_may_add_them() -> None:
    plan = {**OUTPUTS["plan"], "risk": {"level": "low"}}
    assert problems("plan", plan) == []


def test_a_nested_mistake_is_found() -> None:
    usage = copy.deepcopy(OUTPUTS["usage"])
    usage["keys"][0]["spend"] = "a lot"
    assert any(p.startswith("keys/0/spend") for p in problems("usage", usage))


def test_the_harness_hook_rejects_a_bad_cli_output(tmp_path: Path) -> None:
    good = json.dumps(OUTPUTS["health"])
    assert check_cli_outputs(("health", "--format", "json"), tmp_path, 0, good) == 1
    bad = json.dumps({**OUTPUTS["health"], "healthy": "yes"})
    with pytest.raises(AssertionError, match=r"health\.schema\.json"):
        check_cli_outputs(("health", "--format", "json"), tmp_path, 3, bad)
    (tmp_path / "r.json").write_text(json.dumps({"ok": True}), encoding="utf-8")
    with pytest.raises(AssertionError, match=r"apply-report\.schema\.json"):
        check_cli_outputs(("apply", "--report", "r.json"), tmp_path, 0, "")
    (tmp_path / "p.json").write_text(json.dumps(OUTPUTS["plan"]), encoding="utf-8")
    assert check_cli_outputs(("plan", "--out", "p.json"), tmp_path, 2, "") == 1
