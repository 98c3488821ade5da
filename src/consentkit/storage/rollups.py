"""Daily rollups: page views, visits and visitors per day and per value of each reported dimension.

A day's rows are derived from its events in one transaction (`build_day`) once the day is over, so
a report over a year reads a few hundred thousand small rows instead of millions of events; days
not built yet are read from the events themselves (`live_day`, the same counts). The background
writer builds the days it wrote events for, some minutes after each ended, and again whenever it
writes an event for a day built before (`RollupKeeper`). Rows hold counts and the values of the
dimensions below, never an id: a visitor or session id is only ever counted (COUNT DISTINCT).

`pageviews` counts page events (`pageview`, `pixel`; not known bots); `visits` the distinct session
ids and `visitors` the distinct visitor ids among them, that day. A NULL value (not collected, or
redacted by retention) has no row: the dimension's unknown share is the day's total minus its rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import operator
import time
from collections.abc import Iterable, Sequence
from typing import Any

from consentkit.storage.base import Store

log = logging.getLogger("consentkit.writer")

DIMENSIONS: dict[str, str] = {
    "path": "path",
    "referrer_class": "referrer_class",
    "referrer_host": "referrer_host",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "browser": "browser",
    "os": "os",
    "device": "device",
    "country": "country",
}
"""Rollup dimension → the event column it groups by."""
TOTAL = "total"
"""The dimension of each day's totals (one row, value '')."""
PAGES = "kind IN ('pageview', 'pixel') AND (is_bot IS NULL OR NOT is_bot)"
"""The events a rollup counts."""
DAY_S = 86400
GRACE_S = 600
"""A day is built this long after it ended, when events stamped before midnight have been written."""
CHECK_EVERY_S = 60.0

Counts = tuple[int, int, int]
"""(pageviews, visits, visitors)."""


def day_name(day: int) -> str:
    """Days since the epoch as YYYY-MM-DD (UTC)."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def day_number(name: str) -> int:
    return (dt.date.fromisoformat(name) - dt.date(1970, 1, 1)).days


def day_of(ts: float) -> int:
    return int(ts // DAY_S)


def _select(column: str | None) -> str:
    """value, pageviews, visits, visitors of the page events in [?, ?), grouped by `column`."""
    counts = "COUNT(*), COUNT(DISTINCT session_id), COUNT(DISTINCT visitor_id)"
    where = f"ts >= ? AND ts < ? AND {PAGES}"
    if column is None:  # one row, and none for a day without page events
        inner = "COUNT(*) AS n, COUNT(DISTINCT session_id) AS s, COUNT(DISTINCT visitor_id) AS v"
        return f"SELECT '', n, s, v FROM (SELECT {inner} FROM ck_events WHERE {where}) t WHERE n > 0"
    return f"SELECT {column}, {counts} FROM ck_events WHERE {where} AND {column} IS NOT NULL GROUP BY {column}"


def _dimensions() -> list[tuple[str, str | None]]:
    return [(TOTAL, None), *DIMENSIONS.items()]


def build_day(store: Store, day: int, cur: Any | None = None) -> None:
    """(Re)build one day's rows from its events and mark the day built."""
    if cur is None:
        with store.connection() as conn:
            build_day(store, day, conn.cursor())
        return
    store._lock_rollups(cur)
    _build(store, cur, day, time.time())


def _build(store: Store, cur: Any, day: int, built_at: float) -> None:
    name, lo, hi = day_name(day), float(day * DAY_S), float((day + 1) * DAY_S)
    for dim, column in _dimensions():
        cur.execute(store._q("DELETE FROM ck_rollups WHERE dim = ? AND day = ?"), [dim, name])
        select = _select(column).replace("SELECT ", "SELECT ?, ?, ", 1)
        cur.execute(store._q(f"INSERT INTO ck_rollups (dim, day, value, pageviews, visits, visitors) {select}"),
                    [dim, name, lo, hi])
    cur.execute(
        store._q("INSERT INTO ck_rollup_days (day, built_at) VALUES (?, ?) "
                 "ON CONFLICT (day) DO UPDATE SET built_at = excluded.built_at"),
        [name, built_at],
    )


def build_if_stale(store: Store, day: int, written_at: float) -> bool:
    """Build `day` unless it was built after `written_at` (by any process); True when built."""
    started = time.time()
    with store.connection() as conn:
        cur = conn.cursor()
        store._lock_rollups(cur)
        cur.execute(store._q("SELECT built_at FROM ck_rollup_days WHERE day = ?"), [day_name(day)])
        row = cur.fetchone()
        if row is not None and float(row[0]) >= written_at:
            return False
        _build(store, cur, day, started)
        return True


def built_days(store: Store, first: int, last: int) -> set[int]:
    """The days in [first, last] that have been built."""
    rows = store.query("SELECT day FROM ck_rollup_days WHERE day >= ? AND day <= ?", [day_name(first), day_name(last)])
    return {day_number(str(r[0])) for r in rows}


def live_day(store: Store, day: int) -> dict[str, dict[str, Counts]]:
    """What `build_day` would store for one day, dimension → value → counts, read from the events
    in one pass (a report reads today this way: one scan instead of one per dimension)."""
    columns = list(DIMENSIONS.values())
    rows = store.query(
        f"SELECT session_id, visitor_id, {', '.join(columns)} FROM ck_events WHERE ts >= ? AND ts < ? AND {PAGES}",
        [float(day * DAY_S), float((day + 1) * DAY_S)],
    )
    acc: dict[str, dict[str, tuple[list[int], set[Any], set[Any]]]] = {dim: {} for dim, _ in _dimensions()}
    dims = list(DIMENSIONS)
    for row in rows:
        session, visitor = row[0], row[1]
        for dim, value in [(TOTAL, ""), *zip(dims, row[2:], strict=True)]:
            if value is None:
                continue
            found = acc[dim].get(value)
            if found is None:
                found = acc[dim][value] = ([0], set(), set())
            found[0][0] += 1
            if session is not None:
                found[1].add(session)
            if visitor is not None:
                found[2].add(visitor)
    return {dim: {str(v): (n[0], len(s), len(vs)) for v, (n, s, vs) in values.items()} for dim, values in acc.items()}


def delete_days_before(store: Store, day: int, dims: Iterable[str] | None = None) -> int:
    """Delete the rows (of `dims`, default all, and then the day marks too) of days before `day`."""
    name = day_name(day)
    deleted = 0
    every = dims is None
    for dim in [d for d, _ in _dimensions()] if dims is None else dims:
        deleted += store.execute("DELETE FROM ck_rollups WHERE dim = ? AND day < ?", [dim, name])
    if every:
        store.execute("DELETE FROM ck_rollup_days WHERE day < ?", [name])
    return deleted


def rebuild_if_built(store: Store, days: Iterable[int]) -> None:
    """Rebuild those of `days` that are built (days not built are read live anyway)."""
    for day in sorted(set(days)):
        if built_days(store, day, day):
            build_day(store, day)


_SUBJECT_COLUMNS = ("ts", "kind", "is_bot", "session_id", "visitor_id", *DIMENSIONS.values())


def subtract_events(store: Store, cur: Any, where: Sequence[tuple[str, list[Any]]]) -> int:
    """Take the events matching any of `where` out of the built days' rows, before they are
    deleted (erasure): their page views, and their visits and visitors, which are theirs alone
    since every event with their ids goes too. Rows left with no page view are deleted. Returns
    the rows changed."""
    if not where:
        return 0
    store._lock_rollups(cur)
    cond = " OR ".join(f"({c})" for c, _ in where)
    args = [a for _, part in where for a in part]
    cur.execute(store._q(f"SELECT {', '.join(_SUBJECT_COLUMNS)} FROM ck_events WHERE {cond}"), args)
    # (day, dim, value) → [page views, session ids, visitor ids]
    taken: dict[tuple[int, str, str], tuple[list[int], set[str], set[str]]] = {}
    for row in cur.fetchall():
        ts, kind, bot = row[0], row[1], row[2]
        if ts is None or kind not in ("pageview", "pixel") or bot or not math.isfinite(float(ts)):
            continue
        day = day_of(float(ts))
        values = [(TOTAL, "")] + [(dim, v) for dim, v in zip(DIMENSIONS, row[5:], strict=True) if v is not None]
        for dim, value in values:
            n, sessions, visitors = taken.setdefault((day, dim, str(value)), ([0], set(), set()))
            n[0] += 1
            if row[3] is not None:
                sessions.add(row[3])
            if row[4] is not None:
                visitors.add(row[4])
    if not taken:
        return 0
    days = sorted({d for d, _, _ in taken})
    cur.execute(store._q(f"SELECT day FROM ck_rollup_days WHERE day IN ({', '.join('?' * len(days))})"),
                [day_name(d) for d in days])
    built = {day_number(str(r[0])) for r in cur.fetchall()}
    changed = 0
    for (day, dim, value), (n, sessions, visitors) in sorted(taken.items()):
        if day not in built:
            continue
        key = [dim, day_name(day), value]
        cur.execute(
            store._q("UPDATE ck_rollups SET pageviews = pageviews - ?, visits = MAX_(visits - ?, 0), "
                     "visitors = MAX_(visitors - ?, 0) WHERE dim = ? AND day = ? AND value = ?")
            .replace("MAX_", "MAX" if store.dialect == "sqlite" else "GREATEST"),
            [n[0], len(sessions), len(visitors), *key],
        )
        changed += int(cur.rowcount or 0)
        cur.execute(store._q("DELETE FROM ck_rollups WHERE dim = ? AND day = ? AND value = ? AND pageviews <= 0"), key)
    return changed


_ts = operator.itemgetter("ts")


def days_of(events: Sequence[dict[str, Any]]) -> set[int]:
    """The days `events` fall on (by their "ts"), leaving out any whose time is not a finite one
    within reach."""
    try:  # the usual batch: the server's times, within a day or two, looked at in C
        lo, hi = min(map(_ts, events)), max(map(_ts, events))
        if lo.__class__ is float and hi.__class__ is float and lo >= 0 and hi < 1e11 and hi - lo < DAY_S:
            return {int(lo // DAY_S), int(hi // DAY_S)}
    except (KeyError, TypeError, ValueError):  # no "ts", times that do not compare, no events
        pass
    days = set()
    for e in events:
        ts = e.get("ts")
        if ts.__class__ is float and ts == ts and abs(ts) < 1e11:  # a finite time within reach
            days.add(int(ts // DAY_S))
    return days


class RollupKeeper:
    """The writer's side: remembers which days it wrote events for, and builds each once it is
    over (and again after a late write). Runs on the writer thread; failures are logged and the
    day is tried again at the next check."""

    def __init__(self, store: Store, grace_s: float = GRACE_S) -> None:
        self.store = store
        self.grace_s = grace_s
        self._written: dict[int, float] = {}
        self._next_check = 0.0

    def forget(self) -> None:
        """In a forked child: the parent's days are the parent's to build."""
        self._written = {}

    def wrote(self, events: Sequence[dict[str, Any]], at: float | None = None) -> None:
        """`events` were stored, just now or `at` a given time."""
        if not events:
            return
        now = time.time() if at is None else at
        for day in days_of(events):
            self._written[day] = now

    def close_due(self, now: float | None = None) -> None:
        """Build the days this process wrote that ended at least `grace_s` ago (checked once a minute)."""
        now = time.time() if now is None else now
        if now < self._next_check or not self._written:
            return
        self._next_check = now + CHECK_EVERY_S
        for day, written_at in sorted(self._written.items()):
            if (day + 1) * DAY_S + self.grace_s > now:
                continue
            try:
                build_if_stale(self.store, day, written_at)
            except Exception as exc:  # noqa: BLE001 - derived data: tried again at the next check
                log.warning("consentkit: building the rollups of %s failed, to be retried: %s", day_name(day), exc)
                continue
            if self._written.get(day) == written_at:
                del self._written[day]
