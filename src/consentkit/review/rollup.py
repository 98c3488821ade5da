"""Rebuilding the daily rollups from the events, and keeping them in step with retention.

Rollups are derived data (`consentkit.storage.rollups`): the background writer builds each day
once it is over; `rebuild_rollups` recreates any range from the events (after an upgrade, a restore,
or a change made to events by hand), one day per transaction, so it can be interrupted and run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from consentkit.review.queries import iso
from consentkit.storage.base import Store
from consentkit.storage.rollups import (
    DAY_S,
    DIMENSIONS,
    build_day,
    day_name,
    day_of,
    delete_days_before,
    rebuild_if_built,
)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What `rebuild_rollups` did."""

    first_day: str | None
    """The first day rebuilt (YYYY-MM-DD, UTC); None when there was nothing to rebuild."""
    last_day: str | None
    days: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"first_day": self.first_day, "last_day": self.last_day, "days": self.days,
                "seconds": round(self.seconds, 3)}


def rebuild_rollups(
    store: Store,
    *,
    since: float | None = None,
    until: float | None = None,
    now: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RebuildReport:
    """Recreate the rollups of every day in [since, until) that has ended, from the events.

    Without `since`, from the day of the oldest event; without `until`, up to the last day that has
    ended (today is read from the events by reports, and built by the writer once it is over).
    `progress(done, total)` is called after each day.
    """
    started = time.monotonic()
    now = time.time() if now is None else now
    if since is None:
        rows = store.query("SELECT MIN(ts) FROM ck_events WHERE ts IS NOT NULL")
        if not rows or rows[0][0] is None:
            return RebuildReport(None, None, 0, time.monotonic() - started)
        since = float(rows[0][0])
    first = day_of(since)
    end = day_of(now)  # today has not ended: not built
    if until is not None:
        end = min(end, day_of(until - 1e-6) + 1)
    days = list(range(first, end))
    if progress is not None:
        progress(0, len(days))
    for i, day in enumerate(days, start=1):
        build_day(store, day)
        if progress is not None:
            progress(i, len(days))
    if not days:
        return RebuildReport(None, None, 0, time.monotonic() - started)
    return RebuildReport(day_name(days[0]), day_name(days[-1]), len(days), time.monotonic() - started)


@dataclass(frozen=True, slots=True)
class RollupStatus:
    """Which days have rollups."""

    days_built: int
    first_day: str | None
    last_day: str | None
    last_built_at: float | None
    """When the most recent build ran (unix seconds)."""

    def as_dict(self) -> dict[str, object]:
        return {"days_built": self.days_built, "first_day": self.first_day, "last_day": self.last_day,
                "last_built_at": iso(self.last_built_at)}


def rollup_status(store: Store) -> RollupStatus:
    """How many days are built, the first and last, and when the latest build ran."""
    rows = store.query("SELECT COUNT(*), MIN(day), MAX(day), MAX(built_at) FROM ck_rollup_days")
    n, first, last, at = rows[0] if rows else (0, None, None, None)
    return RollupStatus(int(n or 0), first, last, float(at) if at is not None else None)


def purge_rollups(store: Store, delete_before: float, redactions: Sequence[tuple[float, Sequence[str]]]) -> int:
    """After retention removed events before `delete_before` and emptied `columns` of events before
    each `cutoff` in `redactions`: drop the rollup rows those events made, whole days at once, and
    rebuild a built day a cutoff falls within. Returns the rows deleted."""
    deleted = delete_days_before(store, day_of(delete_before))
    straddled = [day_of(delete_before)] if delete_before % DAY_S else []
    for cutoff, columns in redactions:
        dims = [d for d, col in DIMENSIONS.items() if col in columns]
        if dims:
            deleted += delete_days_before(store, day_of(cutoff), dims)
            if cutoff % DAY_S:
                straddled.append(day_of(cutoff))
    rebuild_if_built(store, straddled)
    return deleted


__all__ = ["RebuildReport", "RollupStatus", "purge_rollups", "rebuild_rollups", "rollup_status"]
