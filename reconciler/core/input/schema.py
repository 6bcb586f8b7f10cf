"""The building blocks of the desired/ format every kind's schema uses. Pure."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from reconciler.core.input.names import clean_name

# LiteLLM accepts these suffixes for durations (s, m, h, d, w, mo); anything else fails server-side
# with a 500 after nothing was written, so it is checked here instead.
DURATION_PATTERN = r"^[1-9][0-9]*(s|m|h|d|w|mo)$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# The proxy stores budgets as doubles and accepts up to ~1e308, but spend arithmetic loses
# cents long before that; no real budget comes near a thousand billion.
MAX_BUDGET = 1e12

# Agent names, owners, model names, aliases, fallback groups: printable, NFC, non-empty.
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(clean_name),
]
EnvPattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_*][A-Za-z0-9_*]*$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
HostPattern = Annotated[str, StringConstraints(pattern=r"^(\*\.)?[A-Za-z0-9.\-]+(:[0-9]+)?$")]


def check_ignored(names: list[str], whole: frozenset[str], prefixes: tuple[str, ...]) -> list[str]:
    for name in names:
        inner = next((name[len(p) :] for p in prefixes if name.startswith(p)), None)
        if name not in whole and not inner:
            allowed = sorted(whole) + [f"{p}NAME" for p in prefixes]
            raise ValueError(f"cannot ignore {name!r}; one of: {', '.join(allowed)}")
    return names


class Strict(BaseModel):
    # strict: "50", "off" or 60.0 are not silently turned into 50, False or 60.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True
    )
