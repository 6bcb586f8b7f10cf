"""Usage reports print names the gateway holds: escaped in tables, inert in markdown."""

from __future__ import annotations

import io
import json
import re

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from reconciler.core.observe.usage_join import build_report
from reconciler.core.render.usage import render_usage
from tests.unit.builders import MARKER, key_row
from tests.unit.test_usage import DAY, ESTATE, log

HOSTILE = "evil\x1b[2J\u202e[x](https://evil.example)<img src=x>|col"
GROUP = "grp\u2028<script>alert(1)</script>"


def _render(fmt: str) -> str:
    rows = [key_row(HOSTILE, metadata={**MARKER, "owner": "o\x07"}, max_budget=1.0, spend=0.5),
            key_row("bob", metadata=MARKER, max_budget=1.0)]
    report = build_report(ESTATE, rows, [log(rows[0]["token"], group=GROUP)], DAY)
    out = io.StringIO()
    render_usage(report, [], out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_usage_names_are_escaped_for_people(fmt: str) -> None:
    text = _render(fmt)
    assert HOSTILE not in text and GROUP not in text
    assert all(c.isprintable() for c in text.replace("\n", ""))
    assert "evil\\x1b[2J\\u202e" in text and "grp\\u2028" in text


def test_usage_markdown_names_cannot_become_markup() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(_render("markdown"),
                                                     options=Options.CMARK_OPT_UNSAFE)
    assert "<a " not in html and "<img" not in html and "<script" not in html
    for table in html.split("</table>")[:-1]:
        header_cells = len(re.findall(r"<th[ >]", table))
        for row in table.split("<tbody>")[1].split("</tr>")[:-1]:
            assert len(re.findall(r"<td[ >]", row)) == header_cells  # "|col" added no column


def test_usage_json_keeps_names_exact() -> None:
    data = json.loads(_render("json"))
    assert HOSTILE in {k["name"] for k in data["keys"]}
