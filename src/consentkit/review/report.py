"""A period's summary for privacy teams: traffic from the daily rollups, consent from the counters.

Periods are whole UTC days. Days whose rollups are built are read from them; the others (today,
and any day not built yet) from the events, counted the same way, so a report is right whether or
not the writer has built a day, and fast once it has.

The small-number rule: a group (a page, a referrer, a browser, a country, ...) is listed only when
at least `k` distinct visitors are known to be in it; every other group is folded into "other", so
a report never singles anyone out. Distinct visitors are known per day, so the rule uses the largest
daily count, a lower bound of the group's distinct visitors over the period (a group is folded when
in doubt). `visitors` in a report is the sum of daily distinct visitors (a visitor seen on three
days counts three times); `visits` the sum of daily distinct sessions.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from consentkit.consent_counters import (
    CHOICES,
    IMPRESSIONS,
    OPTINS,
    OUTCOMES,
    REASKS,
    REGIMES,
    SIGNALS,
    WITHDRAWALS,
)
from consentkit.review.report_regimes import RegimeConsent, by_regime
from consentkit.storage.base import Store
from consentkit.storage.rollups import DIMENSIONS, TOTAL, built_days, day_name, day_number, day_of, live_day

Period = Literal["day", "week", "month"]
REPORTED = ("path", "referrer_class", "referrer_host", "utm_source", "utm_medium", "utm_campaign", "browser", "os",
            "device", "country")
"""The traffic breakdowns of a report, in order (each a rollup dimension)."""
OTHER = "(other)"


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown."""

    label: str
    pageviews: int
    visits: int
    visitors: int
    """Daily distinct visitors, summed over the period's days."""


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Traffic by the values of one dimension, largest first."""

    dimension: str
    rows: tuple[Group, ...]
    other: Group | None
    """Everything not listed: groups under the small-number rule, and those beyond the top N."""
    folded: int
    """Groups folded into `other` by the small-number rule."""


@dataclass(frozen=True, slots=True)
class DayTraffic:
    day: str
    pageviews: int
    visits: int
    visitors: int


@dataclass(frozen=True, slots=True)
class Traffic:
    pageviews_counted: int
    """Every counted page view, with consent or not (the anonymous `consent.signals` pages counter)."""
    pageviews: int
    """Page views recorded as events, with consent (rollups)."""
    visits: int
    visitors: int
    days: tuple[DayTraffic, ...]
    breakdowns: tuple[Breakdown, ...]


@dataclass(frozen=True, slots=True)
class PolicyConsent:
    """The consent counters of one policy version (or of the versions folded into "other")."""

    policy_version: str
    impressions: int
    choices: int
    outcomes: dict[str, int]
    """accept_all, reject_all, custom → choices."""
    optins: dict[str, int]
    """Category → choices granting it."""
    withdrawals: int
    reasks: int

    def share(self, outcome: str) -> float | None:
        return self.outcomes.get(outcome, 0) / self.choices if self.choices else None

    def optin_share(self, category: str) -> float | None:
        return self.optins.get(category, 0) / self.choices if self.choices else None


@dataclass(frozen=True, slots=True)
class ConsentSummary:
    total: PolicyConsent
    """All policy versions together (`policy_version` is "all")."""
    by_policy: tuple[PolicyConsent, ...]
    other: PolicyConsent | None
    """Policy versions with fewer than k choices, together."""
    pages: int
    dnt: int
    gpc: int
    chat: dict[str, int]
    by_regime: tuple[RegimeConsent, ...] = ()
    """Per regional regime with at least k choices (`regions`; none without)."""
    regime_other: RegimeConsent | None = None
    """Regimes with fewer than k choices, together."""

    @property
    def dnt_share(self) -> float | None:
        return self.dnt / self.pages if self.pages else None

    @property
    def gpc_share(self) -> float | None:
        return self.gpc / self.pages if self.pages else None


@dataclass(frozen=True, slots=True)
class Report:
    first_day: str
    last_day: str
    """The period: whole UTC days, both included."""
    generated_at: float
    min_visitors: int
    """k of the small-number rule."""
    traffic: Traffic
    consent: ConsentSummary
    categories: tuple[str, ...] = field(default=())
    """The optional categories, in the configuration's order (empty: those seen in the counters)."""


def period_days(
    period: Period = "day", *, since: float | None = None, until: float | None = None, now: float | None = None
) -> tuple[int, int]:
    """The first and last day (days since the epoch, UTC) a report covers.

    With `since` and `until`: the days from `since`'s to the day before `until` (an `until` at
    midnight ends the day before). With `since` alone: the `period` starting on `since`'s day.
    Otherwise the last complete `period` before `until` (default: now): yesterday, the last
    Monday-to-Sunday week, or the last calendar month.
    """
    if since is not None and until is not None:
        first, last = day_of(since), day_of(until - 1e-6)
        if last < first:
            raise ValueError("--until must come after --since")
        return first, last
    if since is not None:
        first = day_of(since)
        start = dt.date(1970, 1, 1) + dt.timedelta(days=first)
        if period == "day":
            return first, first
        if period == "week":
            return first, first + 6
        nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return first, first + (nxt - start).days - 1
    end = day_of((time.time() if now is None else now) if until is None else until - 1e-6)
    end_date = dt.date(1970, 1, 1) + dt.timedelta(days=end)
    if period == "day":
        return end - 1, end - 1
    if period == "week":
        monday = end - end_date.weekday()
        return monday - 7, monday - 1
    month_start = end_date.replace(day=1)
    prev_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    return day_number(prev_start.isoformat()), day_number(month_start.isoformat()) - 1


def build_report(
    store: Store,
    first_day: int,
    last_day: int,
    *,
    min_visitors: int = 5,
    top: int = 10,
    categories: Iterable[str] = (),
    now: float | None = None,
) -> Report:
    """The report over [first_day, last_day] (days since the epoch, UTC; `period_days` makes them).

    `min_visitors` is k of the small-number rule, `top` the rows listed per breakdown.
    """
    if min_visitors < 1 or top < 1:
        raise ValueError("min_visitors and top must be at least 1")
    built = built_days(store, first_day, last_day)
    live = {d: live_day(store, d) for d in range(first_day, last_day + 1) if d not in built}
    traffic = _traffic(store, first_day, last_day, live, min_visitors, top)
    consent = _consent(store, first_day, last_day, min_visitors)
    return Report(day_name(first_day), day_name(last_day), time.time() if now is None else now, min_visitors,
                  traffic, consent, tuple(categories))


# -- traffic ----------------------------------------------------------------------------------------
Live = dict[int, dict[str, dict[str, tuple[int, int, int]]]]
"""Day → what `live_day` read for it."""


def _sums(store: Store, dim: str, first: int, last: int, live: Live) -> dict[str, list[int]]:
    """value → [page views, visits, visitors summed, largest daily visitors]."""
    rows = store.query(
        "SELECT value, SUM(pageviews), SUM(visits), SUM(visitors), MAX(visitors) FROM ck_rollups "
        "WHERE dim = ? AND day >= ? AND day <= ? GROUP BY value",
        [dim, day_name(first), day_name(last)],
    )
    out = {str(r[0]): [int(r[1]), int(r[2]), int(r[3]), int(r[4])] for r in rows}
    for counts in live.values():
        for value, (pv, vi, vs) in counts[dim].items():
            acc = out.setdefault(value, [0, 0, 0, 0])
            acc[0] += pv
            acc[1] += vi
            acc[2] += vs
            acc[3] = max(acc[3], vs)
    return out


def _breakdown(dim: str, sums: dict[str, list[int]], k: int, top: int) -> Breakdown:
    ranked = sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0]))
    shown: list[Group] = []
    rest = [0, 0, 0]
    folded = 0
    for value, (pv, vi, vs, most) in ranked:
        if most >= k and len(shown) < top:
            shown.append(Group(value, pv, vi, vs))
            continue
        folded += most < k
        rest[0] += pv
        rest[1] += vi
        rest[2] += vs
    other = Group(OTHER, *rest) if rest[0] else None
    return Breakdown(dim, tuple(shown), other, folded)


def _traffic(store: Store, first: int, last: int, live: Live, k: int, top: int) -> Traffic:
    daily = {
        str(r[0]): (int(r[1]), int(r[2]), int(r[3]))
        for r in store.query(
            "SELECT day, pageviews, visits, visitors FROM ck_rollups WHERE dim = ? AND day >= ? AND day <= ?",
            [TOTAL, day_name(first), day_name(last)],
        )
    }
    for day, counts in live.items():
        found = counts[TOTAL].get("")
        if found:
            daily[day_name(day)] = found
    days = tuple(DayTraffic(day_name(d), *daily.get(day_name(d), (0, 0, 0))) for d in range(first, last + 1))
    breakdowns = tuple(_breakdown(dim, _sums(store, dim, first, last, live), k, top) for dim in REPORTED)
    counted = _pageviews_counted(store, first, last)
    return Traffic(
        counted, sum(d.pageviews for d in days), sum(d.visits for d in days), sum(d.visitors for d in days), days,
        breakdowns,
    )


# -- consent ----------------------------------------------------------------------------------------
def _counter_sums(store: Store, metrics: list[str], first: int, last: int) -> dict[tuple[str, str], int]:
    rows = store.query(
        f"SELECT metric, key, SUM(count) FROM ck_counts WHERE metric IN ({', '.join('?' * len(metrics))}) "
        "AND day >= ? AND day <= ? GROUP BY metric, key",
        [*metrics, day_name(first), day_name(last)],
    )
    return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}


def _pageviews_counted(store: Store, first: int, last: int) -> int:
    """Page views counted whatever the consent (`collection.aggregate`): the DNT and GPC shares'
    denominator."""
    rows = store.query(
        "SELECT SUM(count) FROM ck_counts WHERE metric = 'pageviews' AND day >= ? AND day <= ?",
        [day_name(first), day_name(last)],
    )
    return int(rows[0][0] or 0) if rows else 0


def _policy(version: str, counts: dict[tuple[str, str], int]) -> PolicyConsent:
    impressions = choices = withdrawals = reasks = 0
    outcomes: dict[str, int] = {}
    optins: dict[str, int] = {}
    for (metric, key), n in counts.items():
        pv, _, rest = key.partition("|")
        if pv != version:
            continue
        if metric == IMPRESSIONS:
            impressions += n
        elif metric == CHOICES and rest in OUTCOMES:
            outcomes[rest] = outcomes.get(rest, 0) + n
            choices += n
        elif metric == OPTINS:
            optins[rest] = optins.get(rest, 0) + n
        elif metric == WITHDRAWALS:
            withdrawals += n
        elif metric == REASKS:
            reasks += n
    return PolicyConsent(version, impressions, choices, outcomes, optins, withdrawals, reasks)


def _merged(label: str, parts: Iterable[PolicyConsent]) -> PolicyConsent:
    out = PolicyConsent(label, 0, 0, {}, {}, 0, 0)
    for p in parts:
        out = PolicyConsent(
            label, out.impressions + p.impressions, out.choices + p.choices,
            {k: out.outcomes.get(k, 0) + p.outcomes.get(k, 0) for k in {*out.outcomes, *p.outcomes}},
            {k: out.optins.get(k, 0) + p.optins.get(k, 0) for k in {*out.optins, *p.optins}},
            out.withdrawals + p.withdrawals, out.reasks + p.reasks,
        )
    return out


def consent_summary(store: Store, first_day: int, last_day: int, *, min_visitors: int = 5) -> ConsentSummary:
    """The consent part of `build_report` alone: the counters of [first_day, last_day], no traffic."""
    if min_visitors < 1:
        raise ValueError("min_visitors must be at least 1")
    return _consent(store, first_day, last_day, min_visitors)


def _consent(store: Store, first: int, last: int, k: int) -> ConsentSummary:
    metrics = [IMPRESSIONS, CHOICES, OPTINS, WITHDRAWALS, REASKS]
    counts = _counter_sums(store, [*metrics, SIGNALS, "chat", REGIMES], first, last)
    regimes, regime_other = by_regime({key: n for (metric, key), n in counts.items() if metric == REGIMES}, k)
    versions = sorted({key.partition("|")[0] for (metric, key) in counts if metric in metrics})
    policies = [_policy(v, counts) for v in versions]
    shown = tuple(p for p in policies if p.choices >= k)
    small = [p for p in policies if p.choices < k]
    return ConsentSummary(
        total=_merged("all", policies),
        by_policy=shown,
        other=_merged(OTHER, small) if small else None,
        pages=_pageviews_counted(store, first, last),
        dnt=counts.get((SIGNALS, "dnt"), 0),
        gpc=counts.get((SIGNALS, "gpc"), 0),
        chat={key: n for (metric, key), n in sorted(counts.items()) if metric == "chat"},
        by_regime=regimes,
        regime_other=regime_other,
    )


__all__ = [
    "DIMENSIONS", "REPORTED", "Breakdown", "ConsentSummary", "DayTraffic", "Group", "Period", "PolicyConsent",
    "Report", "Traffic", "build_report", "consent_summary", "period_days",
]
