"""Key lifetime on both gateways: `duration` sets `expires`, a change re-sends it, removal clears
it, and the plan is empty after each apply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.e2e.gateways import Gateway
from tests.e2e.harness import apply_and_settle, run_cli, standard_estate, write_desired


def _expires_in_days(gw: Gateway) -> float | None:
    row = gw.live_keys()[gw.name("李狗蛋")]
    expires = gw.key_info(row["token"])["expires"]
    if expires is None:
        return None
    moment = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    return (moment - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400


def test_key_lifetime_is_reconciled(gateway: Gateway, tmp_path: Path) -> None:
    estate = standard_estate(gateway)
    estate["agents"][0]["duration"] = "30d"
    desired = write_desired(tmp_path / "desired", estate)
    apply_and_settle(gateway, tmp_path)
    days = _expires_in_days(gateway)
    assert days is not None and 29.9 < days <= 30

    estate["agents"][0]["duration"] = "60d"
    write_desired(desired, estate)
    plan = run_cli(gateway, tmp_path, "plan", "--desired", "desired")
    assert "duration: \"30d\" → \"60d\"" in plan.out, plan.out
    apply_and_settle(gateway, tmp_path)
    days = _expires_in_days(gateway)
    assert days is not None and 59.9 < days <= 60

    del estate["agents"][0]["duration"]
    write_desired(desired, estate)
    apply_and_settle(gateway, tmp_path)
    assert _expires_in_days(gateway) is None
