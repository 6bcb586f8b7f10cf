"""Abnormal usage: what a scheduled `reconciler usage` alerts on (exit 3). Pure.

An agent over a share of its budget; an agent whose spend or request rate grew past a factor of
the previous report's (the baseline file the user keeps); traffic on a blocked key, on a key the
gateway does not know, or on a key that no agent owns. Every flag names the step that stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.core.observe.usage import KeyClass, KeyUsage, UsageReport, iso

BASELINE_FORMAT = "reconciler-usage-baseline/1"


@dataclass(frozen=True)
class Thresholds:
    budget_share: float = 0.8  # flag at 80 % of max_budget
    growth: float = 3.0  # flag when a rate is 3x the baseline's
    min_requests: int = 5  # below this many requests a rate is noise


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str
    reason: str
    stop: str

    @property
    def data(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "reason": self.reason, "stop": self.stop}


def flag_usage(
    report: UsageReport,
    thresholds: Thresholds,
    baseline: dict[str, Any] | None = None,
    agent_files: dict[str, str] | None = None,
) -> list[Flag]:
    files = agent_files or {}
    flags: list[Flag] = []
    rates = _baseline_rates(baseline)
    for usage in report.keys:
        stop = _stop_step(usage, files)
        flags += [Flag(usage.name, kind, reason, _step(kind, usage, files, stop))
                  for kind, reason in _reasons(usage, thresholds, rates.get(usage.name))]
    for team in report.teams:
        share = team.budget_share
        if share is not None and share >= thresholds.budget_share:
            flags.append(Flag(team.name, "team-budget",
                              f"its agents spent {share * 100:.3g} % of the team's budget "
                              f"({team.spend:.6g} of {team.max_budget:.6g})",
                              f"blocked: true on team {team.name} in desired/ (or raise "
                              "its max_budget there if it should go on), then "
                              "reconciler apply"))
    return flags


def _reasons(
    usage: KeyUsage, limits: Thresholds, base: dict[str, float] | None
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    share = usage.budget_share
    if usage.kind is KeyClass.AGENT and share is not None and share >= limits.budget_share:
        found.append(("budget", f"spent {share * 100:.3g} % of its budget "
                                f"({usage.budget_spend:.6g} of {usage.max_budget:.6g}); "
                                f"the alert is at {limits.budget_share * 100:.3g} %"))
    if usage.kind is KeyClass.AGENT and base is not None:
        found += _growth(usage, limits, base)
    if usage.budget_refused:
        found.append(("budget-exceeded", f"{usage.budget_refused} request(s) refused by the "
                                         "gateway: its budget is spent"
                                         + _spent(usage)))
    # A key blocked on purpose (desired/ says blocked: true) refusing calls is the block doing
    # its work, not an anomaly: only blocks desired/ did not ask for are flagged.
    if usage.blocked_attempts and usage.kind is not KeyClass.UNKNOWN \
            and not usage.desired_blocked:
        found.append(("blocked-key", f"{usage.blocked_attempts} request(s) on a blocked key"))
    if usage.rotated_attempts:
        found.append(("rotated-key", f"{usage.rotated_attempts} refused request(s) on a "
                                     "rotated-out key (blocked or expired)"))
    if usage.kind is KeyClass.UNKNOWN:
        found.append(("unknown-key", f"{usage.total.requests} request(s) with a key the "
                                     "gateway does not know (deleted, or never issued)"))
    if usage.kind is KeyClass.ORPHAN and usage.total.requests:
        found.append(("unowned-key", f"{usage.total.requests} request(s) on a managed key no "
                                     "agent in desired/ owns"))
    return found


def _spent(usage: KeyUsage) -> str:
    if usage.max_budget is None or usage.budget_spend is None:
        return ""
    return f" ({usage.budget_spend:.6g} of {usage.max_budget:.6g})"


def _growth(usage: KeyUsage, limits: Thresholds, base: dict[str, float]) -> list[tuple[str, str]]:
    if usage.total.requests < limits.min_requests:
        return []
    hours = usage.period.hours
    found = []
    for label, now_value, unit in (("spend", usage.total.spend, ""),
                                   ("requests", float(usage.total.requests), " req")):
        rate, before = now_value / hours, base.get(f"{label}_per_hour", 0.0)
        if before > 0 and rate > limits.growth * before:
            found.append(("growth", f"{label} rate {rate:.6g}{unit}/h is {rate / before:.1f}x "
                                    f"the baseline's {before:.6g}{unit}/h "
                                    f"(alert above {limits.growth:g}x)"))
    return found


def _step(kind: str, usage: KeyUsage, files: dict[str, str], stop: str) -> str:
    if kind == "rotated-key":
        return _ROTATED_STOP
    if kind == "budget-exceeded" and usage.kind is KeyClass.AGENT:
        where = files.get(usage.name, "its desired/ file")
        return (f"the gateway refuses it until its budget window resets; if it should go on, "
                f"raise max_budget for agent {usage.name} in {where}, then `reconciler apply` "
                "(or set `blocked: true` there to stop it)")
    return stop


_ROTATED_STOP = ("hand the agent its new key from the secrets sink; the rotated-out key "
                 "stays refused")


def _stop_step(usage: KeyUsage, files: dict[str, str]) -> str:
    if usage.kind is KeyClass.AGENT:
        where = files.get(usage.name, "its desired/ file")
        if usage.desired_blocked:
            return f"already `blocked: true` in {where}; run `reconciler apply`"
        return f"set `blocked: true` for agent {usage.name} in {where}, then `reconciler apply`"
    if usage.kind is KeyClass.ORPHAN:
        return "its agent left desired/: `reconciler apply` blocks (or deletes) the key"
    if usage.kind is KeyClass.UNKNOWN:
        return "the gateway already refuses this key; find the caller by its key hash"
    if usage.blocked:
        return "the key is blocked; the gateway refuses these requests"
    return (f"not managed by reconciler: block it by hand (POST /key/block with its hash "
            f"{usage.token})")


def baseline_data(report: UsageReport) -> dict[str, Any]:
    """What `--save-baseline` writes: per agent rates, so periods of any length compare."""
    agents = {}
    for usage in report.of(KeyClass.AGENT):
        hours = usage.period.hours
        agents[usage.name] = {"spend_per_hour": usage.total.spend / hours,
                              "requests_per_hour": usage.total.requests / hours,
                              "spend": usage.total.spend, "requests": usage.total.requests,
                              "hours": round(hours, 4)}
    return {"format": BASELINE_FORMAT, "saved_period": report.period.data,
            "saved_at": iso(report.period.end), "agents": agents}


def _baseline_rates(baseline: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    if not baseline:
        return {}
    if baseline.get("format") != BASELINE_FORMAT or not isinstance(baseline.get("agents"), dict):
        raise ValueError(f"not a usage baseline (format {BASELINE_FORMAT} expected)")
    return {name: {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}
            for name, entry in baseline["agents"].items() if isinstance(entry, dict)}
