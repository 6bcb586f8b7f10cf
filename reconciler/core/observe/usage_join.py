"""Usage joined to desired/: which agent (or which other class of key) each key's traffic
belongs to. A key a rotation moved out still counts for its agent. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from reconciler.core.engine.markers import marker_for
from reconciler.core.input.desired import Estate
from reconciler.core.observe.usage import (
    KeyClass,
    KeyFacts,
    KeyUsage,
    Period,
    UsageReport,
    parse_key_facts,
    parse_log_row,
)
from reconciler.core.observe.usage_teams import team_usage


def budget_window(estate: Estate, keys: Iterable[KeyFacts], now: dt.datetime) -> Period:
    """The default period: from the oldest current budget window of an agent's key to now.
    A rotated-out key counts: its successor carried its spend, so the window began with it."""
    agents = {a.name for a in estate.agents}
    mine = marker_for(estate.settings.scope)
    starts = [k.window_start for k in keys
              if (k.alias in agents or k.rotated_from in agents) and k.marker == mine
              and k.window_start is not None]
    start = min(starts) if starts else now - dt.timedelta(days=30)
    return Period(min(start, now), now, "current budget window")


def classify(estate: Estate, key: KeyFacts) -> KeyClass:
    if estate.is_pinned(key.token, key.alias):
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
    usages = {token: _usage_of(estate, f, period, own_windows) for token, f in facts.items()
              if _rotated_agent(estate, f) is None}
    _attribute_rotated(estate, facts, usages, period, own_windows)
    since = _successor_since(facts, usages)
    for row in filter(None, map(parse_log_row, log_rows)):
        usage = usages.get(row.api_key)
        if usage is None:
            if not row.api_key:
                continue  # rejected before any key was read (no key, malformed header)
            usage = usages[row.api_key] = _unknown(row.api_key, period)
        if usage.period.holds(row.moment):
            usage.add(row)
        start = since.get(row.api_key)
        if start is not None and row.moment >= start and usage.budget_spend is not None:
            # Spent on a rotated-out key in its grace period, after the successor took over
            # the spend counter: LiteLLM's counter of the new key does not hold it; the
            # agent's budget share does.
            usage.budget_spend += row.spend
    unique = {id(u): u for u in usages.values()}.values()  # an agent's keys share one row
    kept = [u for u in unique if u.kind is KeyClass.AGENT or u.total.requests]
    order = list(KeyClass)
    kept.sort(key=lambda u: (order.index(u.kind), -u.total.spend, u.name))
    return UsageReport(period=period, keys=kept, teams=team_usage(estate, kept))


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


def _rotated_agent(estate: Estate, key: KeyFacts) -> str | None:
    """The agent of desired/ a rotation moved this managed key out of, if any."""
    agents = {a.name for a in estate.agents}
    if key.marker != marker_for(estate.settings.scope) or key.rotated_from not in agents:
        return None
    return key.rotated_from


def _attribute_rotated(
    estate: Estate, facts: dict[str, KeyFacts], usages: dict[str, KeyUsage], period: Period,
    own_windows: bool,
) -> None:
    """A rotated-out key's traffic is its agent's: it joins the row of the agent's current
    key (or stands for the agent while the successor does not exist yet). With `own_windows`
    the agent's window opens with its oldest key's, as the successor carried that spend."""
    rows = {u.name: u for u in usages.values() if u.kind is KeyClass.AGENT}
    for token, key in sorted(facts.items(), key=lambda item: item[1].key_name):
        agent = _rotated_agent(estate, key)
        if agent is None:
            continue
        if agent not in rows:
            owner = next(a.owner for a in estate.agents if a.name == agent)
            rows[agent] = KeyUsage(name=agent, kind=KeyClass.AGENT, owner=owner, token=token,
                                   key_name=key.key_name, period=period, blocked=key.blocked)
        row = usages[token] = rows[agent]
        row.rotated_keys.append(key.key_name)
        if own_windows and key.window_start is not None and key.window_start < row.period.start:
            row.period = Period(max(key.window_start, period.start), period.end, "budget window")


def _successor_since(facts: dict[str, KeyFacts], usages: dict[str, KeyUsage]
                     ) -> dict[str, dt.datetime]:
    """Rotated-out key -> when its agent's current key was created (from then on its spend
    is not in the current key's counter)."""
    since = {}
    for token, key in facts.items():
        usage = usages.get(token)
        current = facts.get(usage.token) if usage is not None else None
        if key.rotated_from and current is not None and current is not key \
                and current.created is not None:
            since[token] = current.created
    return since


def _unknown(token: str, period: Period) -> KeyUsage:
    return KeyUsage(name=f"{token[:12]}…", kind=KeyClass.UNKNOWN, owner=None, token=token,
                    key_name="(not a live key)", period=period)
