"""Usage per agent from the gateway's own records. Pure: rows in, a UsageReport out.

Sources (read by the commands layer): `/key/list` rows (the `spend` column LiteLLM checks
budgets against, for the key's current budget window) and `/spend/logs/v2` rows (one per
request: key hash, served model group, tokens, spend, status, fallbacks). Every key with
traffic lands in one class: an agent of desired/, the pinned key, an unmanaged key, a managed
key no agent owns any more (orphan), or a hash the gateway no longer knows (unknown).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.desired import Estate
from reconciler.core.live import MARKER_FIELD, marker_for

UTC = dt.timezone.utc
_DURATION = re.compile(r"^(\d+)(mo|s|m|h|d|w)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 30 * 86400}


class KeyClass(str, Enum):
    AGENT = "agent"
    PINNED = "pinned"
    UNMANAGED = "unmanaged"
    ORPHAN = "orphan"  # carries this scope's marker, but no agent in desired/ owns it
    UNKNOWN = "unknown"  # in the logs, not a live key (deleted, or never valid)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    label: str

    @property
    def hours(self) -> float:
        return max((self.end - self.start).total_seconds() / 3600, 1 / 60)

    def holds(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def data(self) -> dict[str, str]:
        return {"start": iso(self.start), "end": iso(self.end), "label": self.label}


@dataclass(frozen=True)
class LogRow:
    """One request as the gateway logged it."""

    api_key: str
    model_group: str  # the group that served it (after any fallback)
    asked_group: str  # the group the caller asked for
    spend: float
    prompt_tokens: int
    completion_tokens: int
    moment: dt.datetime
    ok: bool
    fallbacks: int
    error: str


@dataclass(frozen=True)
class KeyFacts:
    token: str
    alias: str | None
    key_name: str
    blocked: bool
    spend: float  # LiteLLM's budget counter: the current budget window
    max_budget: float | None
    window_start: dt.datetime | None
    marker: str | None
    owner: str | None


@dataclass
class Tally:
    requests: int = 0
    failures: int = 0
    spend: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, row: LogRow) -> None:
        self.requests += 1
        self.failures += 0 if row.ok else 1
        self.spend += row.spend
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def data(self) -> dict[str, Any]:
        return {"requests": self.requests, "failures": self.failures,
                "spend": round(self.spend, 10), "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "tokens": self.tokens}


@dataclass
class KeyUsage:
    """Usage of one key (an agent's, or any other key with traffic) in its period."""

    name: str  # agent name, alias, or the masked key name
    kind: KeyClass
    owner: str | None
    token: str
    key_name: str
    period: Period
    blocked: bool = False
    desired_blocked: bool = False
    budget_spend: float | None = None
    max_budget: float | None = None
    total: Tally = field(default_factory=Tally)
    by_group: dict[str, Tally] = field(default_factory=dict)
    blocked_attempts: int = 0

    @property
    def budget_share(self) -> float | None:
        if not self.max_budget or self.budget_spend is None:
            return None
        return self.budget_spend / self.max_budget

    def add(self, row: LogRow) -> None:
        self.total.add(row)
        self.by_group.setdefault(row.model_group or "(none)", Tally()).add(row)
        if "blocked" in row.error.lower():
            self.blocked_attempts += 1


@dataclass(frozen=True)
class GatewayTotal:
    """The gateway's own sum for the same period, to check ours against."""

    spend: float
    by_key: dict[str, float]
    boundary_spend: float = 0.0  # rows exactly at the period's end, which the gateway counts


@dataclass
class UsageReport:
    period: Period
    keys: list[KeyUsage]
    requests_made: int = 0
    gateway_total: GatewayTotal | None = None

    def of(self, kind: KeyClass) -> list[KeyUsage]:
        return [k for k in self.keys if k.kind is kind]

    @property
    def total_spend(self) -> float:
        return sum(k.total.spend for k in self.keys)

    def share(self, kind: KeyClass) -> float:
        total = self.total_spend
        return sum(k.total.spend for k in self.of(kind)) / total if total else 0.0


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration_seconds(text: object) -> int | None:
    match = _DURATION.match(text) if isinstance(text, str) else None
    return int(match.group(1)) * _SECONDS[match.group(2)] if match else None


def parse_log_row(row: dict[str, Any]) -> LogRow | None:
    moment = parse_time(row.get("startTime"))
    if moment is None:
        return None
    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    status = row.get("status") or meta.get("status") or "success"
    error = meta.get("error_information") if isinstance(meta.get("error_information"), dict) else {}
    group = str(row.get("model_group") or "")
    return LogRow(
        api_key=str(row.get("api_key") or ""),
        model_group=group,
        asked_group=str(meta.get("original_model_group") or group),
        spend=float(row.get("spend") or 0.0),
        prompt_tokens=int(row.get("prompt_tokens") or 0),
        completion_tokens=int(row.get("completion_tokens") or 0),
        moment=moment,
        ok=status != "failure",
        fallbacks=int(meta.get("attempted_fallbacks") or 0),
        error=str(error.get("error_message") or ""),
    )


def parse_key_facts(row: dict[str, Any]) -> KeyFacts:
    metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    reset = parse_time(row.get("budget_reset_at"))
    seconds = duration_seconds(row.get("budget_duration"))
    created = parse_time(row.get("created_at"))
    # The real proxy aligns resets to calendar boundaries (30d -> the 1st of next month), so
    # a key's first window starts at its creation, not one duration before the reset.
    starts = [t for t in (reset - dt.timedelta(seconds=seconds) if reset and seconds else None,
                          created) if t is not None]
    budget = row.get("max_budget")
    return KeyFacts(
        token=str(row["token"]),
        alias=row.get("key_alias"),
        key_name=str(row.get("key_name") or "sk-..."),
        blocked=row.get("blocked") is True,
        spend=float(row.get("spend") or 0.0),
        max_budget=float(budget) if isinstance(budget, int | float) else None,
        window_start=max(starts) if starts else None,
        marker=metadata.get(MARKER_FIELD) if isinstance(metadata.get(MARKER_FIELD), str) else None,
        owner=metadata.get("owner") if isinstance(metadata.get("owner"), str) else None,
    )


def budget_window(estate: Estate, keys: Iterable[KeyFacts], now: dt.datetime) -> Period:
    """The default period: from the oldest current budget window of an agent's key to now."""
    agents = {a.name for a in estate.agents}
    mine = marker_for(estate.settings.scope)
    starts = [k.window_start for k in keys
              if k.alias in agents and k.marker == mine and k.window_start is not None]
    start = min(starts) if starts else now - dt.timedelta(days=30)
    return Period(min(start, now), now, "current budget window")


def classify(estate: Estate, key: KeyFacts) -> KeyClass:
    pinned_aliases = {p.alias for p in estate.pinned if p.alias}
    pinned_hashes = {p.key_sha256 for p in estate.pinned if p.key_sha256}
    if key.alias in pinned_aliases or key.token in pinned_hashes:
        return KeyClass.PINNED
    if key.marker != marker_for(estate.settings.scope):
        return KeyClass.UNMANAGED
    if key.alias in {a.name for a in estate.agents}:
        return KeyClass.AGENT
    return KeyClass.ORPHAN


def build_report(
    estate: Estate,
    key_rows: list[dict[str, Any]],
    log_rows: list[dict[str, Any]],
    period: Period,
    *,
    own_windows: bool = False,
) -> UsageReport:
    """Join the logs to desired/. `own_windows`: each agent counts from its own budget window."""
    facts = {f.token: f for f in (parse_key_facts(r) for r in key_rows)}
    usages = {token: _usage_of(estate, f, period, own_windows) for token, f in facts.items()}
    for row in filter(None, map(parse_log_row, log_rows)):
        usage = usages.get(row.api_key)
        if usage is None:
            if not row.api_key:
                continue  # rejected before any key was read (no key, malformed header)
            usage = usages[row.api_key] = _unknown(row.api_key, period)
        if usage.period.holds(row.moment):
            usage.add(row)
    kept = [u for u in usages.values() if u.kind is KeyClass.AGENT or u.total.requests]
    order = list(KeyClass)
    kept.sort(key=lambda u: (order.index(u.kind), -u.total.spend, u.name))
    return UsageReport(period=period, keys=kept)


def _usage_of(estate: Estate, key: KeyFacts, period: Period, own_windows: bool) -> KeyUsage:
    kind = classify(estate, key)
    agent = next((a for a in estate.agents if a.name == key.alias), None)
    if own_windows and kind is KeyClass.AGENT and key.window_start is not None:
        period = Period(max(key.window_start, period.start), period.end, "budget window")
    return KeyUsage(
        name=key.alias or key.key_name, kind=kind,
        owner=agent.owner if agent and kind is KeyClass.AGENT else key.owner,
        token=key.token, key_name=key.key_name, period=period, blocked=key.blocked,
        desired_blocked=bool(agent and agent.blocked and kind is KeyClass.AGENT),
        budget_spend=key.spend, max_budget=key.max_budget,
    )


def _unknown(token: str, period: Period) -> KeyUsage:
    return KeyUsage(name=f"{token[:12]}…", kind=KeyClass.UNKNOWN, owner=None, token=token,
                    key_name="(not a live key)", period=period)


def month_period(month: str) -> Period:
    """`2026-10` -> [2026-10-01, 2026-11-01) in UTC."""
    try:
        start = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"--month wants YYYY-MM, not {month!r}") from None
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, end, f"month {month}")


def gateway_daily_total(summary: list[dict[str, Any]], boundary: float = 0.0) -> GatewayTotal:
    """`/spend/logs?start_date&end_date` answers one item per day: spend and per-key sums."""
    by_key: dict[str, float] = {}
    total = 0.0
    for day in summary:
        total += float(day.get("spend") or 0.0)
        for name, value in day.items():
            if re.fullmatch(r"[0-9a-f]{64}", name) and isinstance(value, int | float):
                by_key[name] = by_key.get(name, 0.0) + float(value)
    return GatewayTotal(spend=total, by_key=by_key, boundary_spend=boundary)
