"""The consent counters per day and per banner language, for the Consent page's charts.

The report (`review.build_report`) sums the counters over the whole period; these are the same
rows (`ck_counts`, the metric-and-day index) summed per day and per language instead, so each day's
numbers add up to the report's."""

from __future__ import annotations

from dataclasses import dataclass, field

from consentkit.consent_counters import CHOICES, IMPRESSIONS, OPTINS, OUTCOMES
from consentkit.storage.base import Store
from consentkit.storage.rollups import day_name


@dataclass(frozen=True)
class ConsentDays:
    days: tuple[str, ...]
    outcomes: dict[str, list[int]] = field(default_factory=dict)
    """Outcome → choices per day (in `days` order)."""
    impressions: list[int] = field(default_factory=list)
    by_language: dict[str, int] = field(default_factory=dict)
    """Banner language → impressions over the period."""
    optins: dict[str, list[int]] = field(default_factory=dict)
    """Category → choices granting it per day."""


def consent_days(store: Store, first: int, last: int) -> ConsentDays:
    days = tuple(day_name(d) for d in range(first, last + 1))
    index = {d: i for i, d in enumerate(days)}
    out = ConsentDays(days, {o: [0] * len(days) for o in OUTCOMES}, [0] * len(days), {}, {})
    rows = store.query(
        "SELECT day, metric, key, SUM(count) FROM ck_counts WHERE metric IN (?, ?, ?) AND day >= ? AND day <= ? "
        "GROUP BY day, metric, key",
        [IMPRESSIONS, CHOICES, OPTINS, days[0], days[-1]],
    )
    for day, metric, key, n in rows:
        i = index.get(str(day))
        if i is None:
            continue
        _, _, rest = str(key).partition("|")
        if metric == CHOICES and rest in out.outcomes:
            out.outcomes[rest][i] += int(n)
        elif metric == OPTINS:
            out.optins.setdefault(rest, [0] * len(days))[i] += int(n)
        elif metric == IMPRESSIONS:
            out.impressions[i] += int(n)
            out.by_language[rest] = out.by_language.get(rest, 0) + int(n)
    return out
