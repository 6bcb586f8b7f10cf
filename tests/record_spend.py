"""Record real request/response pairs about spend, spend logs and 529 fallbacks.

Run by hand against a real LiteLLM proxy (never by the suite):

    python -m tests.record_spend http://127.0.0.1:4000 sk-master-1234

It makes real priced traffic through a fake upstream (tests/upstream.py): one deployment that
answers, one that answers 529 with a fallback to the first, a blocked key and an unknown key;
waits for the proxy's batch writer, then stores the answers under tests/recorded/. Raw keys are
masked (`sk-...a1b2`) before anything is written; token hashes are not secrets and stay.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.upstream import FakeUpstream

OUT = Path(__file__).parent / "recorded"
PRICES = {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}
_RAW = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def mask(value: Any, secrets: list[str]) -> Any:
    text = json.dumps(value, ensure_ascii=False)
    for raw in secrets:
        text = text.replace(raw, "sk-..." + raw[-4:])
    return json.loads(_RAW.sub(lambda m: "sk-..." + m.group(0)[-4:], text))


class Recorder:
    def __init__(self, base: str, admin: str, out: Path) -> None:
        self.base, self.admin, self.secrets, self.out = base, admin, [admin], out
        self.n = 0

    def call(self, name: str, method: str, path: str, *, key: str | None = None,
             params: dict[str, Any] | None = None, body: Any = None) -> httpx.Response:
        auth = key or self.admin
        with httpx.Client(base_url=self.base, timeout=120) as http:
            response = http.request(method, path, params=params, json=body,
                                    headers={"Authorization": f"Bearer {auth}"})
        if name:
            self.n += 1
            headers = {h: v for h, v in response.headers.items() if h.startswith("x-litellm-")}
            who = "Bearer <master key>" if key is None else "Bearer <virtual key>"
            pair = {
                "request": {"method": method, "path": path, "params": params, "json": body,
                            "auth": who},
                "status": response.status_code,
                "headers": headers,
                "response": response.json(),
            }
            path_out = self.out / f"{self.n:02d}_{name}.json"
            path_out.write_text(json.dumps(mask(pair, self.secrets), indent=2,
                                           ensure_ascii=False) + "\n", encoding="utf-8")
        return response


def record(base: str, admin: str, out: Path = OUT, settle: float = 20.0) -> str:
    """Run the scenario, write the pairs to `out`; returns the scenario's name prefix."""
    out.mkdir(exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    rec, p = Recorder(base, admin, out), f"rec{uuid.uuid4().hex[:6]}"
    good, busy = f"{p}-good", f"{p}-busy"
    with FakeUpstream() as up:
        for model_id, name, api_base in ((f"{p}-ok", good, up.ok_base),
                                         (f"{p}-529", busy, up.overloaded_base)):
            rec.call("", "POST", "/model/new", body={
                "model_name": name, "model_info": {"id": model_id},
                "litellm_params": {"model": "openai/fake", "api_base": api_base,
                                   "api_key": "fake-upstream-key", **PRICES}})
        before = rec.call("", "GET", "/get/config/callbacks").json()["router_settings"]
        fallbacks = list(before.get("fallbacks") or [])
        rec.call("", "POST", "/config/update",
                 body={"router_settings": {"fallbacks": [*fallbacks, {busy: [good]}]}})
        try:
            _traffic(rec, p, good, busy, settle)
        finally:
            rec.call("", "POST", "/config/update",
                     body={"router_settings": {"fallbacks": fallbacks}})
            for model_id in (f"{p}-ok", f"{p}-529"):
                rec.call("", "POST", "/model/delete", body={"id": model_id})
    return p


def _traffic(rec: Recorder, p: str, good: str, busy: str, settle: float) -> None:
    made = rec.call("", "POST", "/key/generate", body={
        "key_alias": f"{p}-agent", "models": [good, busy], "max_budget": 1.0,
        "budget_duration": "30d", "metadata": {"agent": f"{p}-agent", "owner": "sileya"}}).json()
    raw, token = made["key"], made["token"]
    blocked = rec.call("", "POST", "/key/generate", body={"key_alias": f"{p}-blocked",
                                                        "models": [good]}).json()
    rec.secrets += [raw, blocked["key"]]
    rec.call("", "POST", "/key/block", body={"key": blocked["token"]})
    chat = {"messages": [{"role": "user", "content": "ping"}]}
    rec.call("chat_priced", "POST", "/chat/completions", key=raw, body={"model": good, **chat})
    rec.call("", "POST", "/chat/completions", key=raw, body={"model": good, **chat})
    rec.call("chat_fallback_529", "POST", "/chat/completions", key=raw,
             body={"model": busy, **chat})
    rec.call("chat_blocked_key", "POST", "/chat/completions", key=blocked["key"],
             body={"model": good, **chat})
    unknown = "sk-" + uuid.uuid4().hex
    rec.secrets.append(unknown)
    rec.call("chat_unknown_key", "POST", "/chat/completions", key=unknown,
             body={"model": good, **chat})
    time.sleep(settle)  # the proxy writes spend and spend logs in batches
    today = dt.datetime.now(dt.timezone.utc).date()
    tomorrow = today + dt.timedelta(days=1)
    rec.call("key_info_after_traffic", "GET", "/key/info", params={"key": token})
    rec.call("key_list_after_traffic", "GET", "/key/list", params={
        "return_full_object": "true", "key_alias": f"{p}-agent", "size": 100})
    rec.call("global_spend", "GET", "/global/spend")
    rec.call("global_spend_keys", "GET", "/global/spend/keys", params={"limit": 3})
    window = {"start_date": f"{today} 00:00:00", "end_date": f"{tomorrow} 00:00:00"}
    rec.call("spend_logs_v2_key", "GET", "/spend/logs/v2",
             params={**window, "api_key": token, "page_size": 1000})
    rec.call("spend_logs_v2_blocked_key", "GET", "/spend/logs/v2",
             params={**window, "api_key": blocked["token"], "page_size": 1000})
    rec.call("spend_logs_v2_page_size_1", "GET", "/spend/logs/v2",
             params={**window, "api_key": token, "page_size": 1, "page": 2})
    rec.call("spend_logs_v2_no_dates", "GET", "/spend/logs/v2", params={"page_size": 10})
    rec.call("spend_logs_v2_page_size_over", "GET", "/spend/logs/v2",
             params={**window, "page_size": 1001})
    rec.call("spend_logs_v2_bad_date", "GET", "/spend/logs/v2",
             params={"start_date": "2026-13-01", "end_date": f"{tomorrow}"})
    rec.call("spend_logs_summary", "GET", "/spend/logs",
             params={"start_date": str(today), "end_date": str(tomorrow), "api_key": token})
    rec.call("spend_logs_v2_virtual_key", "GET", "/spend/logs/v2", key=raw,
             params={**window, "page_size": 10})
    for t in (token, blocked["token"]):
        rec.call("", "POST", "/key/delete", body={"keys": [t]})


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2])
