"""What desired/ declares of the router's settings beyond fallbacks (`routing:`): only the
fields written are owned; the rest of router_settings is never read into a plan or written."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from reconciler.core.input.schema import Name, Strict

Strategy = Literal["simple-shuffle", "least-busy", "usage-based-routing",
                   "usage-based-routing-v2", "latency-based-routing", "cost-based-routing"]
# LiteLLM's retry classes (router_settings.retry_policy).
RETRY_CLASSES = ("BadRequestErrorRetries", "AuthenticationErrorRetries", "TimeoutErrorRetries",
                 "RateLimitErrorRetries", "ContentPolicyViolationErrorRetries",
                 "InternalServerErrorRetries", "ServiceUnavailableErrorRetries",
                 "NotFoundErrorRetries", "DefaultRetries")


class RouterSettings(Strict):
    """The router settings a team tunes at a 529 peak; each one declared is owned."""

    context_window_fallbacks: dict[Name, list[Name]] | None = Field(
        default=None, description="model group -> groups to try when the context is too long")
    content_policy_fallbacks: dict[Name, list[Name]] | None = Field(
        default=None, description="not settable here: the proxy never shows it back")
    model_group_alias: dict[Name, Name] | None = Field(
        default=None, description="alias -> model group")
    num_retries: int | None = Field(default=None, ge=0, le=100,
                                    description="retries of a failed call per deployment")
    timeout: float | None = Field(default=None, gt=0, le=86400, allow_inf_nan=False,
                                  description="seconds before a call times out")
    retry_policy: dict[str, int] | None = Field(
        default=None, description="retry class (RateLimitErrorRetries...) -> retries")
    allowed_fails: int | None = Field(default=None, ge=0, le=10**6,
                                      description="failures a minute before a cooldown")
    cooldown_time: float | None = Field(default=None, ge=0, le=86400, allow_inf_nan=False,
                                        description="seconds a failing deployment rests")
    routing_strategy: Strategy | None = Field(default=None,
                                              description="how the router picks a deployment")

    @field_validator("content_policy_fallbacks")
    @classmethod
    def _unreadable(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError("LiteLLM 1.108.7 takes content_policy_fallbacks but never shows "
                             "them in /get/config/callbacks, so a plan could not compare them; "
                             "set them in the proxy's config.yaml")
        return value

    @field_validator("retry_policy")
    @classmethod
    def _classes(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        unknown = sorted(set(value or {}) - set(RETRY_CLASSES))
        if unknown:
            raise ValueError(f"unknown retry class {', '.join(unknown)}; one of: "
                             f"{', '.join(RETRY_CLASSES)}")
        return value

    def owned(self) -> dict[str, Any]:
        """The declared settings as /config/update takes them (fallback maps as lists)."""
        wire: dict[str, Any] = {}
        for name in sorted(self.model_fields_set):
            value = getattr(self, name)
            if name == "context_window_fallbacks" and value is not None:
                value = [{group: list(targets)} for group, targets in value.items()]
            wire[name] = value
        return wire
