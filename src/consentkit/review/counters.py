"""The anonymous daily counters (`ck_counts`), read generically: every metric that was ever counted.

Counters are written by the background writer (`Writer.tally`): per UTC day, a metric and a key,
never a visitor. Nothing here knows the full list of metrics: a metric added later (consent
outcomes, banner impressions) is listed as soon as it has been counted, under its own name or, when
`METRIC_LABELS` knows it, a label.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from consentkit.storage.base import Store

METRIC_LABELS: dict[str, str] = {
    "pageviews": "counted page views, by path",
    "pixels": "pixel requests",
    "cookie.stripped": "cookies removed for want of consent, by cookie|category",
    "cookie.undeclared.reported": "undeclared cookies let through, by name",
    "cookie.undeclared.blocked": "undeclared cookies removed, by name",
    "cookie.lifetime": "cookies let through, by name|lifetime in seconds (session: no expiry)",
    "chat": "chat decisions",
    "events.dropped": "events dropped, by reason",
    "events.failed": "events the store failed to take, by reason",
}
"""Readable names of the metrics consentkit counts; any other metric is shown by its own name."""


@dataclass(frozen=True, slots=True)
class CounterTotal:
    """One (metric, key) summed over the days asked for."""

    metric: str
    key: str
    count: int
    first_day: str
    """The first day (YYYY-MM-DD, UTC) with a count in the period."""
    last_day: str

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "key": self.key, "count": self.count, "first_day": self.first_day,
                "last_day": self.last_day}


@dataclass(frozen=True, slots=True)
class MetricTotals:
    """Every key of one metric, the largest counts first."""

    metric: str
    label: str
    total: int
    keys: tuple[CounterTotal, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": self.label, "total": self.total,
                "keys": [{"key": k.key, "count": k.count, "first_day": k.first_day, "last_day": k.last_day}
                         for k in self.keys]}


@dataclass(frozen=True, slots=True)
class Stats:
    """The counters of a period: `since_day` and `until_day` inclusive ("" means unbounded)."""

    since_day: str
    until_day: str
    metrics: tuple[MetricTotals, ...]

    def metric(self, name: str) -> MetricTotals | None:
        return next((m for m in self.metrics if m.metric == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"since_day": self.since_day or None, "until_day": self.until_day or None,
                "metrics": [m.as_dict() for m in self.metrics]}


def counter_totals(store: Store, *, since_day: str = "", until_day: str = "", metric_prefix: str = "",
                   metrics: Sequence[str] = (), batch: int = 5000) -> Iterator[CounterTotal]:
    """Each (metric, key) summed over [since_day, until_day] (YYYY-MM-DD, UTC, inclusive; "" for
    no bound), in metric and key order, read `batch` rows at a time. With `metrics`, only those
    (found through the metric index, which a prefix's LIKE cannot use on SQLite)."""
    if metrics:
        where = ["day >= ?", f"metric IN ({', '.join('?' * len(metrics))})"]
        args: list[Any] = [since_day, *metrics]
    else:
        where = ["day >= ?", "metric LIKE ?"]
        args = [since_day, _like_prefix(metric_prefix)]
    if until_day:
        where.append("day <= ?")
        args.append(until_day)
    last: tuple[str, str] | None = None
    while True:
        conds, params = list(where), list(args)
        if last is not None:
            conds.append("(metric > ? OR (metric = ? AND key > ?))")
            params += [last[0], last[0], last[1]]
        rows = store.query(
            f"SELECT metric, key, SUM(count), MIN(day), MAX(day) FROM ck_counts WHERE {' AND '.join(conds)} "
            f"GROUP BY metric, key ORDER BY metric, key LIMIT {int(batch)}",
            params,
        )
        for r in rows:
            if str(r[0]).startswith(metric_prefix):
                yield CounterTotal(str(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]))
        if len(rows) < batch:
            return
        last = (str(rows[-1][0]), str(rows[-1][1]))


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern that matches at least every metric starting with `prefix` (the rows are
    checked exactly afterwards: `_` and `%` in the prefix only widen the match)."""
    return prefix + "%"


def stats(store: Store, *, since_day: str = "", until_day: str = "") -> Stats:
    """Every counter of the period, grouped by metric (metrics in name order, keys by count)."""
    grouped: dict[str, list[CounterTotal]] = {}
    for row in counter_totals(store, since_day=since_day, until_day=until_day):
        grouped.setdefault(row.metric, []).append(row)
    metrics = tuple(
        MetricTotals(name, METRIC_LABELS.get(name, name), sum(k.count for k in keys),
                     tuple(sorted(keys, key=lambda k: (-k.count, k.key))))
        for name, keys in sorted(grouped.items())
    )
    return Stats(since_day, until_day, metrics)
