"""Interchangeable plan renderers sharing one signature:
render(plan, out, *, color=False, show_untouched=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from reconciler.core.engine.plan import Plan
from reconciler.core.render import drift, json_, markdown, text

Renderer = Callable[..., None]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "markdown": markdown.render,
    "json": json_.render,
    "drift": drift.render,
}


def render(plan: Plan, out: TextIO, *, fmt: str = "text", color: bool = False,
           show_untouched: bool = False) -> None:
    RENDERERS[fmt](plan, out, color=color, show_untouched=show_untouched)
