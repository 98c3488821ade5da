"""Retention: remove what is older than its category allows, in small batches.

Every field group of an event (ip, geo, utm, ...) belongs to a category with a retention period. When
an event's groups belong to categories with different retentions, the columns of the shorter-lived
groups are set to NULL when those expire, and the whole event is deleted when the longest expires
(the non-personal columns — time, kind, path, status, consent id, ... — live as long as the longest
retention). Daily counters older than the longest retention are deleted too.

The consent ledger is never purged: a refusal is evidence exactly as long as a consent is, and the
records are pseudonymous (erasing a data subject nulls their personal fields, see `erase_subject`).
Tombstones are kept as the proof of erasures.

Work is done in batches of `batch` rows (one statement and transaction each), so a purge of a huge
table never holds a long transaction or lock, and can be interrupted and simply run again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from consentkit.collect.settings import GROUP_COLUMNS
from consentkit.review.queries import iso
from consentkit.review.rollup import purge_rollups
from consentkit.storage.base import Store

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig


def retention_settings(config: ConsentConfig) -> tuple[dict[str, int], dict[str, str]]:
    """What `purge` and `plan` take from a configuration: each category's retention in days, and
    the category owning each field group."""
    return ({c.key: c.retention_days for c in config.categories},
            {str(k): v for k, v in config.collection.fields.items()})

DAY = 86400.0

FIELD_GROUP_COLUMNS = GROUP_COLUMNS  # the event columns of each field group, as collection fills them


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    keep_days: int
    """The longest retention among the collected field groups: whole events live this long."""
    redact: dict[str, tuple[int, tuple[str, ...]]]
    """Category → (retention days, its columns) for the categories shorter-lived than `keep_days`."""


@dataclass(slots=True)
class PurgeReport:
    now: float
    dry_run: bool
    delete_before: float
    """Events older than this (unix seconds) are deleted."""
    events_deleted: int = 0
    counts_deleted: int = 0
    """Daily counter rows deleted (days before the date of `delete_before`)."""
    rollups_deleted: int = 0
    """Daily rollup rows deleted with the events (and columns) they were made of."""
    events_redacted: dict[str, int] = field(default_factory=dict)
    """Category → events whose columns of that category were set to NULL."""
    redact_before: dict[str, float] = field(default_factory=dict)
    redacted_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times as ISO-8601 UTC."""
        return {
            "now": iso(self.now),
            "dry_run": self.dry_run,
            "delete_before": iso(self.delete_before),
            "events_deleted": self.events_deleted,
            "counts_deleted": self.counts_deleted,
            "rollups_deleted": self.rollups_deleted,
            "redacted": {
                cat: {
                    "before": iso(self.redact_before[cat]),
                    "columns": list(self.redacted_columns[cat]),
                    "events": self.events_redacted.get(cat, 0),
                }
                for cat in sorted(self.redact_before)
            },
        }


def plan(categories: Mapping[str, int], field_categories: Mapping[str, str]) -> RetentionPlan:
    """Work out which columns expire when; ValueError names an unknown group or category."""
    problems: list[str] = []
    for cat, days in categories.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            problems.append(f"categories: {cat!r} retention must be a whole number of days >= 1, not {days!r}")
    group_days: dict[str, int] = {}
    for group, cat in field_categories.items():
        if group not in FIELD_GROUP_COLUMNS:
            problems.append(f"fields: unknown field group {group!r} (known: {', '.join(FIELD_GROUP_COLUMNS)})")
        elif cat not in categories:
            problems.append(f"fields: {group!r} belongs to {cat!r}, which has no retention")
        else:
            group_days[group] = categories[cat]
    if problems:
        raise ValueError("; ".join(problems))
    if not categories:
        raise ValueError("categories: at least one category with a retention is needed")
    keep = max(group_days.values()) if group_days else max(categories.values())
    redact: dict[str, tuple[int, tuple[str, ...]]] = {}
    for group, days in group_days.items():
        if days < keep:
            cat = field_categories[group]
            cols = redact[cat][1] if cat in redact else ()
            redact[cat] = (days, cols + FIELD_GROUP_COLUMNS[group])
    return RetentionPlan(keep, redact)


def purge(
    store: Store,
    categories: Mapping[str, int],
    field_categories: Mapping[str, str],
    *,
    now: float | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 5000,
) -> PurgeReport:
    """Apply the retention periods; with `dry_run`, only count what would go.

    `categories`: category key → retention days. `field_categories`: field group → category key
    (the config's `collection.fields`). `progress(done, total)` is called after each batch, rows of
    events and counters alike. Returns what was (or would be) removed.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    p = plan(categories, field_categories)
    now = time.time() if now is None else float(now)
    delete_before = now - p.keep_days * DAY
    report = PurgeReport(now=now, dry_run=dry_run, delete_before=delete_before)
    jobs: list[tuple[str, float, tuple[str, ...]]] = []
    for cat, (days, cols) in sorted(p.redact.items()):
        cutoff = now - days * DAY
        report.redact_before[cat] = cutoff
        report.redacted_columns[cat] = cols
        jobs.append((cat, cutoff, cols))
    cutoff_day = dt.datetime.fromtimestamp(delete_before, dt.UTC).date().isoformat()

    # What is there to do: also the total for the progress callback.
    to_delete = _count(store, "SELECT COUNT(*) FROM ck_events WHERE ts < ?", [delete_before])
    to_redact = {
        cat: _count(store, f"SELECT COUNT(*) FROM ck_events WHERE ts >= ? AND ts < ? AND {_not_null(cols)}",
                    [delete_before, cutoff])
        for cat, cutoff, cols in jobs
    }
    counters = _count(store, "SELECT COUNT(*) FROM ck_counts WHERE day < ?", [cutoff_day])
    total = to_delete + sum(to_redact.values()) + counters
    if dry_run:
        report.events_deleted, report.events_redacted, report.counts_deleted = to_delete, to_redact, counters
        if progress is not None:
            progress(total, total)
        return report

    done = 0

    def step(n: int) -> None:
        nonlocal done, total
        done += n
        total = max(total, done)
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    report.events_deleted = _in_batches(store, "DELETE FROM ck_events WHERE {}", None, delete_before, "", batch, step)
    for cat, cutoff, cols in jobs:
        sets = ", ".join(f"{c} = NULL" for c in cols)
        report.events_redacted[cat] = _in_batches(
            store, f"UPDATE ck_events SET {sets} WHERE {{}}", delete_before, cutoff, _not_null(cols), batch, step
        )
    report.rollups_deleted = purge_rollups(store, delete_before, [(cutoff, cols) for _, cutoff, cols in jobs])
    old_days = store.query("SELECT DISTINCT day FROM ck_counts WHERE day < ? ORDER BY day", [cutoff_day])
    for (day,) in old_days:
        n = store.execute("DELETE FROM ck_counts WHERE day = ?", [day])
        report.counts_deleted += n
        step(n)
    return report


def _not_null(cols: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{c} IS NOT NULL" for c in cols) + ")"


def _count(store: Store, sql: str, args: list[Any]) -> int:
    rows = store.query(sql, args)
    return int(rows[0][0] or 0) if rows else 0


def _in_batches(
    store: Store,
    action: str,
    lo: float | None,
    hi: float,
    extra: str,
    batch: int,
    step: Callable[[int], None],
) -> int:
    """Run `action` (a statement with one `{}` for its WHERE) over events with lo <= ts < hi, in ts order,
    about `batch` rows per statement: each batch ends at the ts of its `batch`-th matching row."""
    affected = 0
    lower, lower_args = ("ts >= ?", [lo]) if lo is not None else ("", [])
    extra_sql = f" AND {extra}" if extra else ""
    while True:
        where = f"{lower} AND ts < ?" if lower else "ts < ?"
        args: list[Any] = [*lower_args, hi]
        rows = store.query(
            f"SELECT ts FROM ck_events WHERE {where}{extra_sql} ORDER BY ts LIMIT 1 OFFSET {int(batch) - 1}", args
        )
        if rows:
            edge = float(rows[0][0])
            n = store.execute(action.format(f"{where} AND ts <= ?{extra_sql}"), [*args, edge])
            lower, lower_args = "ts > ?", [edge]
        else:
            n = store.execute(action.format(f"{where}{extra_sql}"), args)
        affected += n
        if n:
            step(n)
        if not rows:
            return affected
