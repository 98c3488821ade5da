"""The small-number rule on the console: whatever the traffic, a top list shows only groups that the
report lists (at least k visitors on some day); everything else is in "(other)"."""

from __future__ import annotations

import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.review import build_report
from consentkit.storage import open_store
from consentkit.storage.rollups import day_of
from console.console_helpers import config, render, request, table_rows
from rollup_data import event, utc

VISIT = st.tuples(st.integers(0, 2), st.integers(0, 11), st.sampled_from(["/", "/a", "/b", "/<c>"]),
                  st.sampled_from(["DE", "FR", "IS"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(VISIT, max_size=60), st.integers(1, 6))
def test_top_lists_show_only_what_the_report_lists(visits: list[tuple[int, int, str, str]], k: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/ck.db")
        try:
            store.write_events([event(utc(2 + day, 9, i % 60), path, f"v{who}", f"s{day}{who}", country=country)
                                for i, (day, who, path, country) in enumerate(visits)])
            cfg = config(reports={"min_visitors": k})
            body = render("/overview", request(store, "viewer", query={"from": "2026-03-02", "to": "2026-03-04"},
                                               now=utc(9), cfg=cfg)).body
            report = build_report(store, day_of(utc(2)), day_of(utc(4)), min_visitors=k)
        finally:
            store.close()
    for b in report.traffic.breakdowns:
        title = {"path": "Top pages", "country": "Countries"}.get(b.dimension)
        if title is None:
            continue
        shown = [r[0] for r in table_rows(body, title)] if f"<caption>{title}</caption>" in body else []
        listed = [g.label for g in b.rows]
        assert [s for s in shown if not s.startswith("(other")] == listed
        daily: dict[tuple[str, int], set[int]] = {}
        for day, who, path, country in visits:
            daily.setdefault((path if b.dimension == "path" else country, day), set()).add(who)
        for label in listed:  # each listed group had k distinct visitors on one day at least
            assert max(len(v) for (g, _), v in daily.items() if g == label) >= k
