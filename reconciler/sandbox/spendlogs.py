"""Spend logs and the spend read endpoints, shaped like the real proxy's (tests/recorded/).

One row per LLM request, success or failure, as LiteLLM_SpendLogs keeps them: the caller's key
hash, the group that served (after fallbacks), tokens, spend, status, and in `metadata` the
fallback trail (`attempted_fallbacks`, `original_model_group`). The sandbox writes rows at once;
the real proxy writes them 10-15 s later.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from .context import Call, Response
from .errors import ApiError, internal_wrapped, proxy_error, validation_error
from .state import State
from .util import now

_PAGE_SIZE_MAX = 1000
_COUNT_CAP = 10_000  # the real proxy stops counting here (total_is_capped)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def log_request(state: State, *, token: str, alias: str | None, asked: str, served: str,
                model_id: str, model: str, api_base: str, usage: dict[str, int], spend: float,
                request_id: str | None, fallbacks: int, error: str | None = None,
                team_id: str | None = None) -> None:
    """`team_id`: the caller key's team, which the real proxy writes on every row."""
    start = now()
    status = "failure" if error else "success"
    meta: dict[str, Any] = {
        "status": "failure" if error else None, "user_api_key": token,
        "user_api_key_alias": alias, "user_api_key_team_id": team_id,
        "attempted_fallbacks": fallbacks if not error else None,
        "original_model_group": asked if not error else None, "attempted_retries": 0,
        "usage_object": usage, "requester_ip_address": "127.0.0.1",
        "error_information": None if not error else {
            "error_code": "", "error_class": "Exception", "error_message": error,
            "llm_provider": "", "traceback": ""},
    }
    state.spend_logs.append({
        "request_id": request_id or str(uuid.uuid4()), "call_type": "acompletion",
        "api_key": token, "spend": spend, "total_tokens": usage.get("total_tokens", 0),
        "prompt_tokens": usage.get("prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0),
        "startTime": _stamp(start), "endTime": _stamp(start),
        "completionStartTime": _stamp(start), "model": model, "model_id": model_id,
        "model_group": served, "custom_llm_provider": model.split("/")[0] if model else "",
        "api_base": api_base, "user": "", "metadata": meta, "cache_hit": "False",
        "cache_key": "Cache OFF", "request_tags": [], "team_id": team_id,
        "organization_id": None, "end_user": "", "requester_ip_address": "127.0.0.1",
        "session_id": str(uuid.uuid4()), "status": status, "mcp_namespaced_tool_name": None,
        "agent_id": None, "litellm_call_id": str(uuid.uuid4()), "request_duration_ms": 0,
    })


def _parse_date(text: str, formats: tuple[str, ...], expected: str) -> dt.datetime:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text.strip(), fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    raise internal_wrapped(400, f"Invalid date format: {text}. Expected: {expected}")


def _row_time(row: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(row["startTime"])


def _window(state: State, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    return [r for r in state.spend_logs if start <= _row_time(r) <= end]


def _int_query(call: Call, name: str, default: int, low: int, high: int | None) -> int:
    raw = call.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error("int_parsing", ["query", name],
                               "Input should be a valid integer, unable to parse string as an "
                               "integer") from None
    if value < low:
        raise validation_error("greater_than_equal", ["query", name],
                               f"Input should be greater than or equal to {low}")
    if high is not None and value > high:
        raise validation_error("less_than_equal", ["query", name],
                               f"Input should be less than or equal to {high}")
    return value


def spend_logs_v2(state: State, call: Call) -> Response:
    page = _int_query(call, "page", 1, 1, None)
    size = _int_query(call, "page_size", 50, 1, _PAGE_SIZE_MAX)
    start_text, end_text = call.query.get("start_date"), call.query.get("end_date")
    if start_text is None or end_text is None:
        raise proxy_error(400, "Start date and end date are required", "bad_request", "None")
    formats, expected = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"), "'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'"
    rows = _window(state, _parse_date(start_text, formats, expected),
                   _parse_date(end_text, formats, expected))
    for column in ("api_key", "model_group", "model_id"):
        if call.query.get(column) is not None:
            rows = [r for r in rows if r[column] == call.query[column]]
    descending = (call.query.get("sort_order") or "desc").lower() != "asc"
    rows.sort(key=_row_time, reverse=descending)
    total = min(len(rows), _COUNT_CAP)
    return 200, {"data": rows[(page - 1) * size: page * size], "total": total, "page": page,
                 "page_size": size, "total_pages": math.ceil(total / size),
                 "total_is_capped": len(rows) > _COUNT_CAP}


def spend_logs(state: State, call: Call) -> Response:
    """Deprecated v1: raw rows, or with start_date/end_date one summary item per day."""
    start_text, end_text = call.query.get("start_date"), call.query.get("end_date")
    if start_text is None or end_text is None:
        return 200, list(state.spend_logs)
    try:
        start = dt.datetime.strptime(start_text, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
        end = dt.datetime.strptime(end_text, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise ApiError(500, {"error": {"message": str(exc), "type": "internal_server_error",
                                       "param": "None", "code": "500"}}) from None
    rows = _window(state, start, end)
    if call.query.get("api_key"):
        rows = [r for r in rows if r["api_key"] == call.query["api_key"]]
    return 200, _daily_summary(rows, end)


def _daily_summary(rows: list[dict[str, Any]], end: dt.datetime) -> list[dict[str, Any]]:
    days: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=_row_time):
        days.setdefault(row["startTime"][:10], []).append(row)
    items = []
    for day, day_rows in days.items():
        item: dict[str, Any] = {}
        for row in day_rows:
            item[row["api_key"]] = item.get(row["api_key"], 0) + row["spend"]
        item.update(startTime=day, spend=sum(r["spend"] for r in day_rows),
                    users={"": sum(r["spend"] for r in day_rows)},
                    models=_sum_by(day_rows, "model"))
        items.append(item)
    if items:  # the real proxy pads the days after the last one, up to end_date
        last = dt.date.fromisoformat(items[-1]["startTime"])
        for offset in range(1, (end.date() - last).days + 1):
            day = (last + dt.timedelta(days=offset)).isoformat()
            items.append({"startTime": day, "spend": 0, "users": {}, "models": {}})
    return items


def _sum_by(rows: list[dict[str, Any]], column: str) -> dict[str, float]:
    sums: dict[str, float] = {}
    for row in rows:
        sums[row[column]] = sums.get(row[column], 0) + row["spend"]
    return sums


def _last_30_days(state: State) -> list[dict[str, Any]]:
    since = now() - dt.timedelta(days=30)
    return [r for r in state.spend_logs if _row_time(r) >= since]


def global_spend(state: State, call: Call) -> Response:
    rows = _last_30_days(state)
    return 200, {"spend": sum(r["spend"] for r in rows) if rows else None, "max_budget": 0.0}


def global_spend_keys(state: State, call: Call) -> Response:
    limit = _int_query(call, "limit", 0, 1, None) if "limit" in call.query else None
    sums = _sum_by(_last_30_days(state), "api_key")
    ranked = sorted(sums.items(), key=lambda kv: -kv[1])[:limit]
    out = []
    for token, spend in ranked:
        key = state.keys.get(token) or {}
        out.append({"api_key": token, "key_alias": key.get("key_alias"),
                    "key_name": key.get("key_name"), "total_spend": spend})
    return 200, out
