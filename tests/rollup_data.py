"""Events and counters for the rollup and report tests: a few days of March 2026, on any store."""

from __future__ import annotations

import datetime as dt
from typing import Any

from consentkit.storage import Store
from consentkit.storage.schema import EVENT_FIELDS


def utc(day: int, hour: int = 12, minute: int = 0) -> float:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC).timestamp()


def event(ts: float, path: str, visitor: str | None, session: str | None, **fields: Any) -> dict[str, Any]:
    e: dict[str, Any] = dict.fromkeys(EVENT_FIELDS)
    e.update(ts=ts, kind="pageview", method="GET", path=path, visitor_id=visitor, session_id=session,
             consent_id=f"c-{visitor}" if visitor else None, ip="81.2.69.0", is_bot=False, truncated=False)
    e.update(fields)
    return e


HOSTILE = '/<script>alert(1)</script>"|*x*'


def traffic(store: Store) -> None:
    """Six visitors on /, three of them on /pricing too, one alone on a hostile path, on March 2 and 3."""
    events = []
    for day in (2, 3):
        for v in range(6):
            events.append(event(utc(day, 9, v), "/", f"v{v}", f"s{day}{v}", country="DE", browser="Firefox"))
        for v in range(3):
            events.append(event(utc(day, 10, v), "/pricing", f"v{v}", f"s{day}{v}", country="DE",
                                browser="Firefox"))
    events.append(event(utc(3, 11), HOSTILE, "lonely", "s-lonely", country="IS", browser="Lynx"))
    store.write_events(events)
    day = "2026-03-02"
    store.add_counts({
        (day, "consent.impressions", "1|en"): 40, (day, "consent.choices", "1|accept_all"): 6,
        (day, "consent.choices", "1|reject_all"): 3, (day, "consent.choices", "1|custom"): 1,
        (day, "consent.optins", "1|analytics"): 7, (day, "consent.optins", "1|marketing"): 6,
        (day, "consent.withdrawals", "1"): 1, (day, "consent.choices", "0|accept_all"): 2,
        (day, "pageviews", "/"): 60, (day, "pageviews", "/blog"): 40, (day, "consent.signals", "dnt"): 10,
        (day, "consent.signals", "gpc"): 5, (day, "chat", "shown"): 4,
        ("2026-03-09", "consent.choices", "1|custom"): 50,  # outside the period
    })
