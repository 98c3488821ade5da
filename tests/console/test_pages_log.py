"""The Collection log page: the events of `consentkit events` for the same filters, paged by
position, escaped; its CSV and JSONL downloads are byte for byte what the command prints; filtering
by a subject and exporting go into the access log."""

from __future__ import annotations

import pytest

from consentkit import cli
from consentkit.review import events
from consentkit.storage import Store
from console.console_helpers import ListAccessLog, Markup, render, request, table_rows
from rollup_data import HOSTILE, event, traffic, utc

DAYS = {"from": "2026-03-02", "to": "2026-03-03"}


def all_pages(store: Store, query: dict[str, str]) -> list[list[str]]:
    """Every row of the view, following the "next page" links."""
    import html
    import re
    from urllib.parse import parse_qsl, urlsplit

    rows: list[list[str]] = []
    q = dict(query)
    for _ in range(50):
        result = render("/log", request(store, "reviewer", query=q, now=utc(9)))
        assert result.status == 200 and result.notices == ()
        rows += table_rows(result.body, "Events") if "<caption>Events</caption>" in result.body else []
        found = re.search(r'<a href="([^"]+)">Next page</a>', result.body)
        if not found:
            return rows
        q = dict(parse_qsl(urlsplit(html.unescape(found.group(1))).query))
    raise AssertionError("paging did not end")


def test_pages_hold_the_events_of_the_command_in_its_order(store: Store) -> None:
    traffic(store)
    want = events(store, since=utc(2, 0), until=utc(4, 0))
    shown = all_pages(store, {**DAYS, "size": "4"})
    assert len(shown) == len(want) == 19
    assert [(r[1], r[2], r[4]) for r in shown] == [(e["kind"], e["path"], e["visitor_id"]) for e in want]
    assert len(all_pages(store, {**DAYS, "path": "/pricing", "size": "2"})) == 6
    assert len(all_pages(store, {**DAYS, "path": "/pri*"})) == 6


def test_a_page_is_found_by_position_even_among_events_of_the_same_time(store: Store) -> None:
    same = utc(2, 9)
    store.write_events([event(same, f"/p{i}", f"v{i}", f"s{i}") for i in range(7)])
    shown = all_pages(store, {"from": "2026-03-02", "size": "3"})
    assert [r[2] for r in shown] == [f"/p{i}" for i in range(7)]


def test_stored_values_are_escaped_and_the_default_view_is_today(store: Store) -> None:
    traffic(store)
    store.write_events([event(utc(3, 12), "/x", "v9", "s9", referrer_host='<script>alert("r")</script>',
                              basis="analytics,necessary")])
    result = render("/log", request(store, "reviewer", now=utc(3, 23)))
    assert "<script>" not in result.body and "&lt;script&gt;alert(&quot;r&quot;)&lt;/script&gt;" in result.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.body  # the hostile path of March 3
    assert not Markup(result.body).all("script")
    rows = table_rows(result.body, "Events")
    assert len(rows) == len(events(store, since=utc(3, 0), until=utc(4, 0)))  # today only
    assert "Without a date, the log shows today (UTC)." in result.body
    assert [rows[-1][3], rows[-1][7]] == ["analytics,necessary", '<script>alert("r")</script>']
    assert HOSTILE in [r[2] for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_download_is_what_the_command_prints(store: Store, any_store_url: str, fmt: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    traffic(store)
    log = ListAccessLog()
    query = {**DAYS, "path": "/", "export": fmt}
    result = render("/log", request(store, "reviewer", query=query, now=utc(9), access=log))
    assert result.download is not None and result.download.filename == f"consentkit-events-2026-03-09.{fmt}"
    got = b"".join(result.download.chunks).decode()
    assert cli.main(["events", "--since", "2026-03-02", "--until", "2026-03-03", "--path", "/", "--format", fmt,
                     "--storage-url", any_store_url]) == 0
    assert got == capsys.readouterr().out and got.count("\n") == 12 + (fmt == "csv")
    assert log.records == [("reviewer-user", "export_log", "", {"format": fmt, **DAYS, "path": "/"})]


def test_filtering_by_a_visitor_or_consent_id_is_logged(store: Store) -> None:
    traffic(store)
    log = ListAccessLog()
    result = render("/log", request(store, "reviewer", query={**DAYS, "visitor": "v1", "consent": "c-v1"},
                                    now=utc(9), access=log))
    assert [r[4] for r in table_rows(result.body, "Events")] == ["v1"] * 4
    assert [(a, s) for _, a, s, _ in log.records] == [("filter_log", "v1"), ("filter_log", "c-v1")]
    render("/log", request(store, "reviewer", query={**DAYS, "path": "/"}, now=utc(9), access=log))
    assert len(log.records) == 2  # a filter naming nobody is not about a subject


def test_bad_parameters_become_notices_and_defaults(store: Store) -> None:
    traffic(store)
    query = {"from": "March", "kind": "<b>", "size": "10000000000000000000000", "after": "x:y",
             "visitor": "\x00" + "v" * 500}
    result = render("/log", request(store, "reviewer", query=query, now=utc(3, 23)))
    assert result.status == 200 and len(result.notices) == 5
    assert "<b>" not in result.body


def test_a_rare_path_over_a_long_window_is_searched_a_week_a_page(store: Store) -> None:
    import re

    rare = [event(utc(1, 12) + d * 86400.0, "/rare", f"r{d}", f"sr{d}") for d in (0, 3, 12)]
    store.write_events([*rare, *(event(utc(1, 13) + d * 86400.0, "/", f"v{d}", f"s{d}") for d in range(20))])
    shown = all_pages(store, {"from": "2026-03-01", "to": "2026-03-20", "path": "/rare", "size": "2"})
    assert [r[4] for r in shown] == ["r0", "r3", "r12"]
    first = render("/log", request(store, "reviewer", now=utc(21), query={"from": "2026-03-01", "to": "2026-03-20",
                                                                          "path": "/rare", "size": "5"}))
    assert [r[4] for r in table_rows(first.body, "Events")] == ["r0", "r3"]  # the first seven days only
    assert "Searched up to 2026-03-08 00:00:00 so far" in first.body
    assert re.search(r'after=1772928000\.0%3A-1', first.body)
