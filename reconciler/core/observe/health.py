"""Gateway health against desired/: checks, fallback activity, rendering. Pure.

Inputs are what the commands layer read: readiness and liveliness answers, /model/info rows,
/key/list rows, the live router fallbacks and the spend logs of the last window. Nothing here
sends LLM requests; `/health` (which does) is only read when the user asks for it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TextIO

from reconciler.core.input.desired import Estate
from reconciler.core.masking import safe_text
from reconciler.core.observe.usage import LogRow, Period, parse_log_row

# Requests the gateway itself turned away (the caller's fault, not the provider's): bad or
# blocked key, a model the key may not use, an exhausted budget. The real proxy logs these
# as failures too; provider errors (a 529 nothing could fall back from) stay "failed".
_REFUSED = ("authentication error", "key is blocked", "invalid api key",
            "not available for this api key", "budget has been exceeded")


class Level(str, Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str

    @property
    def data(self) -> dict[str, str]:
        return {"name": self.name, "level": self.level.value, "detail": self.detail}


@dataclass(frozen=True)
class Probe:
    """What the commands layer learned about the gateway itself."""

    ready: bool
    ready_detail: str
    alive: bool
    model_rows: list[dict[str, Any]] = field(default_factory=list)
    key_rows: list[dict[str, Any]] = field(default_factory=list)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    endpoint_health: dict[str, Any] | None = None  # /health, only when asked
    # Each named replica: (its URL, ready, what it said or lacks); [] when none are named.
    replicas: list[tuple[str, bool, str]] = field(default_factory=list)
    version: str | None = None  # the LiteLLM version it runs, when it says
    version_warning: str | None = None


@dataclass
class GroupActivity:
    requests: int = 0
    fell_back: int = 0
    to: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    refused: int = 0

    def add(self, row: LogRow) -> None:
        self.requests += 1
        if row.fallbacks and row.model_group != row.asked_group:
            self.fell_back += 1
            self.to[row.model_group] += 1
        if not row.ok:
            refused = any(word in row.error.lower() for word in _REFUSED)
            self.refused += refused
            self.failed += not refused

    @property
    def data(self) -> dict[str, Any]:
        return {"requests": self.requests, "fell_back": self.fell_back, "to": dict(self.to),
                "failed": self.failed, "refused": self.refused}


@dataclass
class HealthReport:
    checks: list[Check]
    activity: dict[str, GroupActivity]
    window: Period

    @property
    def healthy(self) -> bool:
        return all(c.level is not Level.FAIL for c in self.checks)

    @property
    def data(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "healthy": self.healthy,
                "checks": [c.data for c in self.checks],
                "window": self.window.data,
                "fallback_activity": {g: a.data for g, a in sorted(self.activity.items())},
                # Each request under the group asked for; usage counts the group that served.
                "fallback_activity_counted": "asked"}


# Bumped when a field is removed or changes meaning (schema/outputs/health.schema.json).
FORMAT_VERSION = 1


def assess(estate: Estate, probe: Probe, window: Period) -> HealthReport:
    checks = [
        Check("readiness", Level.OK if probe.ready else Level.FAIL, probe.ready_detail),
        Check("liveliness", Level.OK if probe.alive else Level.FAIL,
              "alive" if probe.alive else "no answer from /health/liveliness"),
    ]
    checks += [Check(f"replica {url}", Level.OK if ok else Level.FAIL, detail)
               for url, ok, detail in probe.replicas]
    if probe.version is not None:
        checks.append(Check("version", Level.WARN if probe.version_warning else Level.OK,
                            probe.version_warning or f"LiteLLM {probe.version} (tested)"))
    if probe.ready:
        served = _served(probe.model_rows)
        checks += _model_checks(estate, probe.model_rows, served)
        checks += _pinned_checks(estate, probe.key_rows)
        checks += _fallback_checks(estate, probe.fallbacks, served)
        checks += _endpoint_checks(probe.endpoint_health)
    activity = fallback_activity(probe.log_rows, window)
    checks += [Check(f"traffic {group}", Level.WARN,
                     f"{a.failed} of {a.requests} request(s) failed in the window")
               for group, a in sorted(activity.items()) if a.failed]
    return HealthReport(checks, activity, window)


def _served(model_rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Model group -> ids of deployments that can serve it (blocked DB models cannot)."""
    groups: dict[str, list[str]] = {}
    for row in model_rows:
        info = row.get("model_info") or {}
        if info.get("blocked") is True:
            continue
        kind = "db" if info.get("db_model") is True else "config"
        groups.setdefault(str(row.get("model_name")), []).append(f"{info.get('id')} ({kind})")
    return groups


def _model_checks(estate: Estate, rows: list[dict[str, Any]],
                  served: dict[str, list[str]]) -> list[Check]:
    checks = []
    live_ids = {str((r.get("model_info") or {}).get("id")) for r in rows}
    for model in estate.models:
        present = model.id in live_ids
        checks.append(Check(f"deployment {model.id}", Level.OK if present else Level.FAIL,
                            f"serves {model.model_name}" if present
                            else "declared in desired/ but not on the gateway (run apply)"))
    needed: dict[str, list[str]] = {}
    for agent in estate.agents:
        for name in agent.models:
            needed.setdefault(name, []).append(agent.name)
    for name, agents in sorted(needed.items()):
        ids = served.get(name, [])
        detail = (f"{len(ids)} deployment(s): {', '.join(ids)}" if ids else
                  f"NO deployment serves it; agents {', '.join(agents)} cannot use it")
        checks.append(Check(f"model {name}", Level.OK if ids else Level.FAIL, detail))
    for team in estate.teams:
        missing = [name for name in team.models if not served.get(name)]
        checks.append(Check(f"team {team.name}", Level.FAIL if missing else Level.OK,
                            f"NO deployment serves {', '.join(missing)}: the team's keys cannot "
                            "use it" if missing else f"{len(team.models)} model(s) served"))
    return checks


def _pinned_checks(estate: Estate, key_rows: list[dict[str, Any]]) -> list[Check]:
    checks = []
    for pin in estate.pinned:
        label = pin.alias or f"{(pin.key_sha256 or '')[:12]}…"
        found = [r for r in key_rows
                 if (pin.alias and r.get("key_alias") == pin.alias)
                 or (pin.key_sha256 and r.get("token") == pin.key_sha256)]
        if not found:
            checks.append(Check(f"pinned key {label}", Level.FAIL, "missing from the gateway"))
        elif any(r.get("blocked") is True for r in found):
            checks.append(Check(f"pinned key {label}", Level.FAIL, "present but BLOCKED"))
        else:
            checks.append(Check(f"pinned key {label}", Level.OK, "present, not blocked"))
    return checks


def _fallback_checks(estate: Estate, live: dict[str, list[str]],
                     served: dict[str, list[str]]) -> list[Check]:
    checks = []
    if estate.fallbacks is not None:
        want = {g: list(n) for g, n in estate.fallbacks.items()}
        same = want == live
        checks.append(Check("fallbacks", Level.OK if same else Level.FAIL,
                            "in force as desired/ declares" if same else
                            f"live {json.dumps(live, ensure_ascii=False)} differ from desired/ "
                            f"{json.dumps(want, ensure_ascii=False)} (run apply)"))
    for group, targets in sorted(live.items()):
        missing = [t for t in targets if t not in served]
        if missing:
            checks.append(Check(f"fallback {group}", Level.WARN,
                                f"falls back to {', '.join(missing)}, which nothing serves"))
    return checks


def _endpoint_checks(health: dict[str, Any] | None) -> list[Check]:
    if health is None:
        return []
    bad = health.get("unhealthy_endpoints") or []
    names = ", ".join(str(e.get("model") or e.get("model_id")) for e in bad if isinstance(e, dict))
    return [Check("endpoints (/health)", Level.FAIL if bad else Level.OK,
                  f"{health.get('healthy_count', 0)} healthy, {len(bad)} unhealthy"
                  + (f": {names}" if names else ""))]


def fallback_activity(log_rows: list[dict[str, Any]], window: Period) -> dict[str, GroupActivity]:
    """Per model group asked for: requests, how many fell back and where, failures."""
    activity: dict[str, GroupActivity] = {}
    for row in filter(None, map(parse_log_row, log_rows)):
        if window.holds(row.moment) and row.asked_group:
            activity.setdefault(row.asked_group, GroupActivity()).add(row)
    return activity


def render_health(report: HealthReport, out: TextIO, fmt: str) -> None:
    if fmt == "json":
        out.write(json.dumps(report.data, indent=2, ensure_ascii=False) + "\n")
        return
    out.write(f"Gateway health: {'healthy' if report.healthy else 'UNHEALTHY'}\n\n")
    for check in report.checks:
        # Names and details come from the gateway (aliases, model names, fallback groups):
        # escaped like every name the tool prints, so they cannot rewrite the terminal.
        out.write(f"  [{check.level.value:>4}] {safe_text(check.name)}: "
                  f"{safe_text(check.detail)}\n")
    window = report.window
    out.write(f"\nFallback activity by the group asked for (usage counts the group that "
              f"served), {window.data['start']} to {window.data['end']}:\n")
    if not report.activity:
        out.write("  no requests in the window\n")
    for group, act in sorted(report.activity.items()):
        to = ", ".join(f"{safe_text(name)} x{count}" for name, count in act.to.most_common())
        out.write(f"  {safe_text(group)}: {act.requests} request(s), {act.fell_back} fell back"
                  + (f" (to {to})" if to else "")
                  + f", {act.failed} failed, {act.refused} refused\n")
    out.write("\n(spend logs lag the traffic by 10-15 s)\n")
