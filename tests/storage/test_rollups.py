"""Daily rollups on SQLite and PostgreSQL: built from the events, by the writer once a day is over,
recreated by a rebuild, and kept in step with erasure and retention, without holding an id."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.review import erase_subject, purge
from consentkit.review.rollup import rebuild_rollups
from consentkit.storage import Store
from consentkit.storage.rollups import DAY_S, RollupKeeper, build_day, day_of, days_of, live_day
from rollup_data import event, utc


def sample(store: Store) -> None:
    store.write_events([
        event(utc(2, 9), "/", "vA", "sA1", country="DE", browser="Firefox", referrer_class="search",
              referrer_host="duckduckgo.com", utm_source="news", utm_medium="email", utm_campaign="spring"),
        event(utc(2, 9, 5), "/pricing", "vA", "sA1", country="DE", browser="Firefox"),
        event(utc(2, 10), "/", "vB", "sB1", country="FR", browser="Chrome", device="mobile", os="Android"),
        event(utc(2, 11), "/", "vA", "sA2", country="DE", browser="Firefox"),
        event(utc(2, 11, 1), "/", "vA", "sA2", kind="beacon"),  # not a page view
        event(utc(2, 11, 2), "/", "bot", "sX", is_bot=True),  # a known bot: not counted
        event(utc(3, 8), "/", "vB", "sB2", country="FR", browser="Chrome"),
        event(utc(3, 8, 1), "/blog", None, None),  # collected without ids
    ])


def rollup_rows(store: Store) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in store.query(
        "SELECT dim, day, value, pageviews, visits, visitors FROM ck_rollups"))


def test_a_built_day_counts_page_views_visits_and_visitors_per_value(store: Store) -> None:
    sample(store)
    build_day(store, day_of(utc(2)))
    rows = {(dim, value): (pv, vi, vs) for dim, _, value, pv, vi, vs in rollup_rows(store)}
    assert rows[("total", "")] == (4, 3, 2)
    assert rows[("path", "/")] == (3, 3, 2)
    assert rows[("path", "/pricing")] == (1, 1, 1)
    assert rows[("country", "DE")] == (3, 2, 1)
    assert rows[("referrer_host", "duckduckgo.com")] == (1, 1, 1)
    assert rows[("utm_campaign", "spring")] == (1, 1, 1)
    assert rows[("device", "mobile")] == (1, 1, 1)
    assert ("os", "iOS") not in rows and ("device", None) not in rows
    # What a report reads live for a day not built is what the build stored.
    live = live_day(store, day_of(utc(2)))
    assert live["path"] == {"/": (3, 3, 2), "/pricing": (1, 1, 1)}
    assert {(dim, value): counts for dim, values in live.items() for value, counts in values.items()} == rows


def test_no_rollup_holds_an_identifier(store: Store) -> None:
    sample(store)
    rebuild_rollups(store, now=utc(10))
    ids = {r[0] for r in store.query("SELECT visitor_id FROM ck_events WHERE visitor_id IS NOT NULL")}
    ids |= {r[0] for r in store.query("SELECT session_id FROM ck_events WHERE session_id IS NOT NULL")}
    ids |= {r[0] for r in store.query("SELECT consent_id FROM ck_events WHERE consent_id IS NOT NULL")}
    ids |= {"81.2.69.0"}
    held = {str(v) for row in rollup_rows(store) for v in row}
    assert ids and not ids & held


def test_rebuild_recreates_every_ended_day_and_not_today(store: Store) -> None:
    sample(store)
    store.write_events([event(utc(5, 1), "/today", "vC", "sC")])
    before = rebuild_rollups(store, now=utc(5, 2))
    assert (before.first_day, before.last_day, before.days) == ("2026-03-02", "2026-03-04", 3)
    built = rollup_rows(store)
    assert ("path", "2026-03-05", "/today", 1, 1, 1) not in built
    store.execute("UPDATE ck_rollups SET pageviews = 999")  # damaged derived data
    again = rebuild_rollups(store, now=utc(5, 2))
    assert again.days == 3 and rollup_rows(store) == built
    calls: list[tuple[int, int]] = []
    rebuild_rollups(store, since=utc(3), until=utc(3), now=utc(5, 2), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 1), (1, 1)]  # --until a date: the whole of that day


def test_erasure_takes_the_subjects_page_views_out_of_built_days(store: Store) -> None:
    sample(store)
    rebuild_rollups(store, now=utc(10))
    erase_subject(store, "vB")
    after_erase = rollup_rows(store)
    assert not [r for r in after_erase if r[2] in ("FR", "Chrome", "mobile", "Android")]
    rebuild_rollups(store, now=utc(10))
    assert after_erase == rollup_rows(store)  # exactly what the remaining events make


def test_retention_drops_expired_days_and_expired_columns_as_a_rebuild_would(store: Store) -> None:
    sample(store)
    rebuild_rollups(store, now=utc(10))
    # Events live 30 days; geo (country) only 7: on March 10 + 1 h, geo of March 2 and 3 has expired.
    categories = {"necessary": 365, "analytics": 30, "geo": 7}
    fields = {"geo": "geo", "browser": "analytics", "referrer": "analytics", "utm": "analytics",
              "visitor_id": "analytics", "session_id": "analytics", "device": "analytics", "os": "analytics"}
    report = purge(store, categories, fields, now=utc(10, 1))
    assert report.rollups_deleted == 2  # DE and FR of March 2; March 3's events are newer than the cutoff
    rows = rollup_rows(store)
    assert [r[1:3] for r in rows if r[0] == "country"] == [("2026-03-03", "FR")]
    assert [r for r in rows if r[0] == "browser" and r[1] == "2026-03-02"]
    rebuild_rollups(store, now=utc(10))
    assert rows == rollup_rows(store)
    # Once the events themselves expire, their days' rollups go with them.
    report = purge(store, categories, fields, now=utc(2, 13) + 30 * DAY_S)
    assert report.events_deleted == 6 and not [r for r in rollup_rows(store) if r[1] == "2026-03-02"]
    assert [r for r in rollup_rows(store) if r[1] == "2026-03-03"]


def test_the_writer_builds_days_once_over_and_again_after_a_late_event(store: Store) -> None:
    sample(store)
    keeper = RollupKeeper(store, grace_s=600)
    batch = [event(utc(2, 23, 59), "/late", "vD", "sD")]
    store.write_events(batch)
    keeper.wrote(batch)
    keeper.close_due(now=utc(3, 0, 5))  # within the grace period: not yet
    assert rollup_rows(store) == []
    keeper.close_due(now=utc(3, 0, 20))
    assert ("path", "2026-03-02", "/late", 1, 1, 1) in rollup_rows(store)
    late = [event(utc(2, 23, 59), "/late", "vE", "sE")]
    store.write_events(late)
    keeper.wrote(late)
    keeper.close_due(now=utc(3, 0, 20) + 30)  # checked at most once a minute
    assert ("path", "2026-03-02", "/late", 1, 1, 1) in rollup_rows(store)
    keeper.close_due(now=utc(3, 0, 21))
    assert ("path", "2026-03-02", "/late", 2, 2, 2) in rollup_rows(store)
    # Another keeper (another process) that wrote before the build leaves the day as it is.
    other = RollupKeeper(store, grace_s=600)
    built = store.query("SELECT built_at FROM ck_rollup_days WHERE day = '2026-03-02'")
    other.wrote(late, at=utc(2, 23))  # stored before the day was last built
    other.close_due(now=utc(3, 1))
    assert ("path", "2026-03-02", "/late", 2, 2, 2) in rollup_rows(store)
    assert store.query("SELECT built_at FROM ck_rollup_days WHERE day = '2026-03-02'") == built  # not rebuilt


def test_the_background_writer_builds_the_days_it_wrote_once_they_are_over(store: Store) -> None:
    import time

    from consentkit.storage.writer import Writer

    writer = Writer(store, interval_s=0.01)
    try:
        for v in range(3):
            writer.submit(event(utc(4, 10, v), "/", f"v{v}", f"s{v}"))
        deadline = time.monotonic() + 10
        while not store.query("SELECT day FROM ck_rollup_days") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        writer.stop()
    assert [r[1:] for r in rollup_rows(store) if r[0] == "total"] == [("2026-03-04", "", 3, 3, 3)]


_stamps = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=2e9),
    st.integers(-10**12, 10**12), st.text(max_size=3), st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.builds(lambda t: {"ts": t}, _stamps), st.just({})), max_size=12),
       st.floats(min_value=0, max_value=2e9), st.lists(st.floats(min_value=0, max_value=86399), max_size=8))
def test_the_days_a_batch_falls_on_are_those_of_its_finite_float_times(
    odd: list[dict[str, Any]], start: float, offsets: list[float]
) -> None:
    # A batch the server stamped (within a day), and one with any stamp a stored row could carry.
    for events in ([{"ts": start + o} for o in offsets], odd, [*({"ts": start + o} for o in offsets), *odd]):
        expected = {int(e["ts"] // DAY_S) for e in events
                    if e.get("ts").__class__ is float and math.isfinite(e["ts"]) and abs(e["ts"]) < 1e11}
        assert days_of(events) == expected
