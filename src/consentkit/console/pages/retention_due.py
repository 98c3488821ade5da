"""What retention has due, found cheaply: for each cut-off, the oldest row past it (a walk of the
time index that stops at the first match) instead of counting every row as a dry run does, so the
Retention page shows on every visit whether and since when something is due, however much is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consentkit.review.retention import DAY, plan
from consentkit.storage.base import Store
from consentkit.storage.rollups import day_name, day_of


@dataclass(frozen=True)
class Due:
    delete_before: float
    oldest_event: float | None
    """The oldest event before `delete_before` (None: no event is due for deletion)."""
    redact_before: dict[str, float]
    oldest_redactable: dict[str, float | None]
    """Category → the oldest event still holding its columns past its cut-off."""
    oldest_counter_day: str | None
    """The oldest daily counter row past the longest retention."""


def due(store: Store, categories: Mapping[str, int], fields: Mapping[str, str], now: float) -> Due:
    p = plan(categories, fields)
    delete_before = now - p.keep_days * DAY
    oldest = _first(store, "ts < ?", [delete_before])
    redact_before: dict[str, float] = {}
    redactable: dict[str, float | None] = {}
    for cat, (days, cols) in sorted(p.redact.items()):
        cutoff = now - days * DAY
        held = " OR ".join(f"{c} IS NOT NULL" for c in cols)
        redact_before[cat] = cutoff
        redactable[cat] = _first(store, f"ts >= ? AND ts < ? AND ({held})", [delete_before, cutoff])
    day = store.query("SELECT MIN(day) FROM ck_counts WHERE day < ?", [day_name(day_of(delete_before))])[0][0]
    return Due(delete_before, oldest, redact_before, redactable, str(day) if day is not None else None)


def _first(store: Store, where: str, args: list[object]) -> float | None:
    """The time of the first event matching `where`, walking the time index (ORDER BY ... LIMIT 1
    stops at the first match on both engines, where MIN() with a filter may read the whole range)."""
    rows = store.query(f"SELECT ts FROM ck_events WHERE {where} ORDER BY ts LIMIT 1", args)
    return float(rows[0][0]) if rows else None
