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
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconciler.core.engine.live import parse_moment
from reconciler.core.engine.markers import MARKER_FIELD
from reconciler.core.kinds.key.fields import ROTATED_FIELD

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
    team_id: str = ""  # the team of the key that made it, as the gateway logged it


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
    rotated_from: str | None = None  # the agent a rotation moved this key out of
    created: dt.datetime | None = None


@dataclass
class Tally:
    requests: int = 0
    failures: int = 0
    spend: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    fell_back: int = 0  # requests served here that asked for another group

    def add(self, row: LogRow) -> None:
        self.requests += 1
        self.failures += 0 if row.ok else 1
        self.spend += row.spend
        self.fell_back += 1 if row.asked_group != row.model_group else 0
        if row.ok:
            # A failed request's tokens were not served (the real proxy logs the prompt's
            # count on some failures): tokens are what the callers got.
            self.prompt_tokens += row.prompt_tokens
            self.completion_tokens += row.completion_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def data(self) -> dict[str, Any]:
        return {"requests": self.requests, "failures": self.failures,
                "spend": round(self.spend, 10), "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "tokens": self.tokens,
                "fell_back_here": self.fell_back}


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
    # Spend per key sha256: an agent's row also counts the keys rotations moved out.
    by_key: dict[str, float] = field(default_factory=dict)
    rotated_keys: list[str] = field(default_factory=list)  # their masked names
    # Refused requests on a rotated-out key: the agent still calls with its old key.
    rotated_attempts: int = 0
    # Requests the gateway refused because the key's budget is spent.
    budget_refused: int = 0

    @property
    def budget_share(self) -> float | None:
        if not self.max_budget or self.budget_spend is None:
            return None
        return self.budget_spend / self.max_budget

    def add(self, row: LogRow) -> None:
        self.total.add(row)
        self.by_key[row.api_key] = self.by_key.get(row.api_key, 0.0) + row.spend
        self.by_group.setdefault(row.model_group or "(none)", Tally()).add(row)
        error = row.error.lower()
        if row.api_key != self.token and ("blocked" in error or "expired key" in error):
            self.rotated_attempts += 1
        elif "blocked" in error:
            self.blocked_attempts += 1
        elif "budget has been exceeded" in error or "budget_exceeded" in error:
            self.budget_refused += 1


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
    # Per declared team (observe/usage_teams.py): TeamUsage rows.
    teams: list[Any] = field(default_factory=list)
    # --month: per declared team, its month checked against the gateway's own team figures
    # (observe/usage_team_month.py): TeamMonth rows.
    team_months: list[Any] = field(default_factory=list)

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


def duration_seconds(text: object) -> int | None:
    match = _DURATION.match(text) if isinstance(text, str) else None
    return int(match.group(1)) * _SECONDS[match.group(2)] if match else None


def parse_log_row(row: dict[str, Any]) -> LogRow | None:
    moment = parse_moment(row.get("startTime"))
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
        team_id=str(row.get("team_id") or meta.get("user_api_key_team_id") or ""),
    )


def parse_key_facts(row: dict[str, Any]) -> KeyFacts:
    metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    reset = parse_moment(row.get("budget_reset_at"))
    seconds = duration_seconds(row.get("budget_duration"))
    created = parse_moment(row.get("created_at"))
    # The real proxy aligns resets to calendar boundaries (30d -> the 1st of next month), so
    # a key's first window starts at its creation, not one duration before the reset.
    starts = [t for t in (reset - dt.timedelta(seconds=seconds) if reset and seconds else None,
                          created) if t is not None]
    budget = row.get("max_budget")
    rotated = metadata.get(ROTATED_FIELD) if isinstance(metadata.get(ROTATED_FIELD), dict) else {}
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
        rotated_from=str(rotated["agent"]) if rotated.get("agent") else None,
        created=created,
    )


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
