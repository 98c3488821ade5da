"""The Retention page: each category's retention and columns, what is due and since when; an
officer's dry run counts and changes nothing, the run removes what `consentkit purge` removes."""

from __future__ import annotations

from consentkit.collect.settings import FIELDS
from consentkit.console.html import when
from consentkit.review import events, purge
from consentkit.storage import Store
from console.console_helpers import ListAccessLog, Markup, config, facts_of, render, request, table_rows
from rollup_data import event, utc

NOW = utc(20)
DAY = 86400.0
FIELDS_OWNED = {**dict.fromkeys(FIELDS, "analytics"), "utm": "marketing"}  # campaign data: 90 days
CFG = config(collection={"fields": FIELDS_OWNED})


def seed(store: Store) -> None:
    """Events 400 days old (past every retention), 100 days old (past analytics' 90), and fresh."""
    store.write_events([
        event(NOW - 400 * DAY, "/old", "v1", "s1", browser="Firefox"),
        event(NOW - 100 * DAY, "/mid", "v2", "s2", browser="Firefox", utm_source="news"),
        event(NOW - 1 * DAY, "/new", "v3", "s3", browser="Firefox"),
    ])
    store.add_counts({("2024-01-01", "pageviews", "/old"): 3})


def test_what_is_due_is_shown_and_a_dry_run_changes_nothing(store: Store) -> None:
    seed(store)
    page = render("/retention", request(store, "reviewer", now=NOW, cfg=CFG))
    plan = {r[0]: r for r in table_rows(page.body, "Retention per category")}
    assert plan["analytics"][1] == "395" and plan["marketing"][1] == "90"
    assert plan["marketing"][3] == "utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id"
    assert plan["analytics"][5] == "yes, since " + when(NOW - 400 * DAY)  # the oldest event
    assert plan["marketing"][5] == "yes, since " + when(NOW - 100 * DAY)  # the oldest campaign
    assert plan["necessary"][5] == "\u2013"  # holds no field
    assert facts_of(page.body)["Daily counters due"] == "yes, since 2024-01-01"
    assert not [a for t, a in Markup(page.body).tags if t == "form" and a.get("method") == "post"]  # reviewer
    officer = render("/retention", request(store, "officer", now=NOW, cfg=CFG)).body
    assert 'name="action" value="dry_run"' in officer and 'name="csrf" value="tok-123"' in officer
    log = ListAccessLog()
    dry = render("/retention", request(store, "officer", method="POST", form={"action": "dry_run"}, now=NOW,
                                       access=log, cfg=CFG))
    want = purge(store, {c.key: c.retention_days for c in CFG.categories}, FIELDS_OWNED, now=NOW, dry_run=True)
    assert (want.events_deleted, want.events_redacted) == (1, {"marketing": 1})
    assert dry.notices == (f"Dry run: {want.events_deleted} events and 1 counter rows would be deleted.",)
    assert len(events(store)) == 3 and log.records[0][1] == "purge_dry_run"


def test_the_run_purges_and_then_nothing_is_due(store: Store) -> None:
    seed(store)
    log = ListAccessLog()
    done = render("/retention", request(store, "officer", method="POST", form={"action": "run"}, now=NOW,
                                        access=log, cfg=CFG))
    assert done.notices[0].startswith("Purge done: 1 events deleted, 1 counter rows")
    assert [(e["path"], e["utm_source"]) for e in events(store)] == [("/mid", None), ("/new", None)]
    assert "Blanked (marketing): 1 events" in done.body
    assert log.records[0][1] == "purge" and log.records[0][3]["events_deleted"] == "1"
    plan = {r[0]: r for r in table_rows(done.body, "Retention per category")}
    assert plan["analytics"][5] == plan["marketing"][5] == "nothing"
    bad = render("/retention", request(store, "officer", method="POST", form={"action": "drop"}, now=NOW))
    assert bad.status == 400 and len(events(store)) == 2
