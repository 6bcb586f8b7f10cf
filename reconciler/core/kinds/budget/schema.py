"""What desired/ declares for a budget (a /budget/new object)."""

from __future__ import annotations

from pydantic import Field, field_validator

from reconciler.core.engine.live import whole
from reconciler.core.input.schema import DURATION_PATTERN, MAX_BUDGET, Strict, check_ignored
from reconciler.core.input.yamlscalars import MAX_INT

BUDGET_LIMITS = ("max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit",
                 "max_parallel_requests")
# The proxy keeps budget ids as text keys; the tool's ids are `MARKER:NAME` (see live.py).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"


class Budget(Strict):
    """A shared budget; keys and teams refer to it by `name` (the tool keeps its budget_id)."""

    name: str = Field(pattern=NAME_PATTERN, description="unique budget name")
    max_budget: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
        description="spend limit in USD per budget_duration: requests fail above it",
    )
    soft_budget: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET, allow_inf_nan=False,
        description="alerting threshold in USD: requests still pass",
    )
    budget_duration: str | None = Field(
        default=None, pattern=DURATION_PATTERN, description="reset period (e.g. 30d)"
    )
    rpm_limit: int | None = Field(default=None, ge=0, le=MAX_INT, description="requests/min")
    tpm_limit: int | None = Field(default=None, ge=0, le=MAX_INT, description="tokens/min")
    max_parallel_requests: int | None = Field(
        default=None, ge=0, le=MAX_INT, description="requests in flight at once"
    )
    adopt: bool = Field(
        default=False,
        description="use the unmanaged budget whose budget_id is this name, in place (a "
        "budget has no metadata to stamp: it stays managed while desired/ says adopt)",
    )
    ignore_fields: list[str] = Field(
        default_factory=list,
        description="limits another system owns: never compared or written after creation",
    )

    @field_validator("ignore_fields")
    @classmethod
    def _budget_fields(cls, names: list[str]) -> list[str]:
        return check_ignored(names, frozenset(BUDGET_LIMITS), ())

    def limits(self) -> dict[str, object]:
        return {name: whole(getattr(self, name)) for name in BUDGET_LIMITS}

