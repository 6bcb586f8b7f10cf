"""settings.safety: the limits of the safety rails and a reviewed large-change approval.

Part of the desired/ schema (reconciler.core.input.desired re-exports both models); the rails
themselves are evaluated in reconciler.core.engine.rails.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    # As desired.py's: "0.5" or "yes" are not silently turned into numbers.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True
    )


class LargeChangeApproval(_Strict):
    """A large change declared in desired/, so it is reviewed with the plan that needs it."""

    reason: str = Field(
        min_length=1, max_length=300,
        description="why this large change is intended (shown prominently in every plan)",
    )
    max_changes: int = Field(
        ge=1,
        description="the most changes (add + change + destroy + block + unblock + adopt) "
        "the approval covers; a bigger plan is still refused",
    )


class Safety(_Strict):
    """Rails on how much of the managed estate one plan may change, per kind (keys, models)."""

    max_update_share: float = Field(
        default=0.3, gt=0, le=1,
        description="largest share of a kind's managed objects one plan may update",
    )
    max_destroy_share: float = Field(
        default=0.3, gt=0, le=1,
        description="largest share of a kind's managed objects one plan may destroy, block or "
        "re-create",
    )
    min_existing: int = Field(
        default=10, ge=0,
        description="a kind with fewer managed objects than this is not checked",
    )
    approve_large_change: LargeChangeApproval | None = Field(
        default=None,
        description="lets a plan over the rails through apply without --force, up to "
        "max_changes; remove it once applied",
    )


    def loosened(self) -> tuple[str, ...]:
        """Each limit set looser than the default: one settings line could otherwise switch
        a rail off (min_existing: 99999999 checks nothing), so loosening is itself a large
        change that needs an approval."""
        out = []
        for name in ("max_update_share", "max_destroy_share", "min_existing"):
            value, default = getattr(self, name), Safety.model_fields[name].default
            if value > default:
                out.append(f"{name} {value} (default {default})")
        return tuple(out)


__all__ = ["LargeChangeApproval", "Safety"]
