"""Reading a page-numbered admin list (/v2/team/list, /user/list): page 1 says how many pages
there are, the rest are read on the client's pool, each row cut to what the plan reads."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import partial
from typing import Any

from reconciler.gateway.parallel import Pool

Row = dict[str, Any]


def read_pages(pool: Pool, page: Callable[[int], Row], rows_key: str, id_field: str,
               fields: Collection[str] | None = None) -> list[Row]:
    """Every row of the list, once per `id_field`. Page 1 goes through the pool too, so the
    pool alone bounds the requests in flight (gateway/registry.py reads lists side by side).
    With `fields`, each row keeps only those as soon as its page is in."""

    def page_rows(number: int) -> tuple[int, list[Row]]:
        body = page(number)
        rows = [r for r in body.get(rows_key) or [] if isinstance(r, dict)]
        if fields is not None:
            rows = [{f: r.get(f) for f in fields} for r in rows]
        return int(body.get("total_pages") or 1), rows

    pages, rows = pool.submit(partial(page_rows, 1)).result()
    rows += [r for _, more in pool.map(page_rows, range(2, pages + 1)) for r in more]
    return list({str(r.get(id_field)): r for r in rows}.values())
