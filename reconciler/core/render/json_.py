"""The machine-readable plan; also the format `plan --out` saves for a later apply."""

from __future__ import annotations

import json
from typing import TextIO

from reconciler.core.engine.plan import Plan


def render(plan: Plan, out: TextIO, *, color: bool = False, show_untouched: bool = False) -> None:
    # JSON lists every untouched object and carries the rails' evaluation (Plan.data).
    json.dump(plan.data, out, indent=2, ensure_ascii=False, sort_keys=False)
    out.write("\n")
