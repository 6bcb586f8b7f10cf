"""Fit an already rendered markdown plan into a size limit (a pull-request comment's 65,536).

The head of the plan (title, summary, counts) always stays; the body is cut at a line
boundary, any code fence or <details> block left open by the cut is closed, and a note says
how much is missing and where the whole plan is. Pure: text in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NOTE = "The full plan is in the workflow run's plan artifact."
GITHUB_COMMENT_LIMIT = 65_536
_FENCE = "```"


@dataclass
class _Blocks:
    """The markdown blocks open after the lines kept so far."""

    in_fence: bool = False
    open_details: int = 0

    def feed(self, line: str) -> None:
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            self.in_fence = not self.in_fence
        elif not self.in_fence:
            count = stripped.count("<details") - stripped.count("</details>")
            self.open_details = max(self.open_details + count, 0)

    def closers(self) -> str:
        return (_FENCE + "\n" if self.in_fence else "") + "\n</details>\n" * self.open_details


def fit_markdown(text: str, max_chars: int, *, note: str = DEFAULT_NOTE) -> str:
    """`text` itself when it fits, else its longest line-aligned head that fits with a note."""
    if len(text) <= max_chars:
        return text
    lines = [line if line.endswith("\n") else line + "\n" for line in text.splitlines()]
    blocks = _Blocks()
    kept = 0
    used = 0
    for line in lines:
        after = _Blocks(blocks.in_fence, blocks.open_details)
        after.feed(line)
        tail = after.closers() + _note(len(lines) - kept - 1, note)
        if used + len(line) + len(tail) > max_chars:
            break
        blocks = after
        kept += 1
        used += len(line)
    result = "".join(lines[:kept]) + blocks.closers() + _note(len(lines) - kept, note)
    if len(result) > max_chars:
        raise ValueError(f"{max_chars} characters cannot hold even the truncation note")
    return result


def _note(omitted: int, note: str) -> str:
    return (
        f"\n> ✂️ **Plan truncated:** {omitted} more line(s) not shown, to fit a comment. "
        f"{note}\n"
    )
