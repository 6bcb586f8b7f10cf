"""The suite's own scheduling rule (tests/conftest.py): which tests share one worker under xdist."""

from tests.conftest import FLEET_GROUP, REAL_GROUP, shared_gateway_group


def test_real_parameters_share_one_group_wherever_they_sit_in_the_id() -> None:
    assert shared_gateway_group("tests/e2e/test_apply.py::test_x[real]") == REAL_GROUP
    assert shared_gateway_group("tests/e2e/test_health.py::test_y[real-529]") == REAL_GROUP
    assert shared_gateway_group("tests/test_lease.py::test_z[429-real]") == REAL_GROUP


def test_other_tests_are_their_own_unit() -> None:
    assert shared_gateway_group("tests/e2e/test_apply.py::test_x[sandbox]") is None
    assert shared_gateway_group("tests/unit/test_usage.py::test_real_rows_parse") is None
    assert shared_gateway_group("tests/unit/test_x.py::test_y[surreal]") is None
    assert shared_gateway_group("tests/unit/test_x.py::test_y[real]::inner") is None


def test_the_replicated_fleet_is_one_group() -> None:
    assert shared_gateway_group("tests/e2e/test_topology.py::test_block[a]") == FLEET_GROUP
