"""The Subjects page: a lookup shows what `consentkit export` holds and is logged; downloading and
erasing are an officer's; an erasure needs the id typed again, removes the subject's events from
`review.events` and the log, and leaves the tombstone shown."""

from __future__ import annotations

import json

from consentkit.review import events, export_subject
from consentkit.storage import Store
from console.console_helpers import ListAccessLog, Markup, facts_of, render, request, table_rows
from rollup_data import traffic, utc


def test_a_lookup_shows_everything_stored_and_is_logged(store: Store) -> None:
    traffic(store)
    log = ListAccessLog()
    result = render("/subjects", request(store, "reviewer", query={"subject": "c-v2"}, access=log))
    shown = facts_of(result.body)
    assert shown["Visitor ids"] == "v2" and shown["Consent ids"] == "c-v2" and shown["Events"] == "4"
    assert len(table_rows(result.body, "Events")) == len(export_subject(store, "v2")["events"]) == 4
    assert log.records == [("reviewer-user", "view_subject", "c-v2", {})]
    # A reviewer sees neither the download nor the erase form, and may not download.
    assert "download=json" not in result.body and not Markup(result.body).all("form")[1:]
    refused = render("/subjects", request(store, "reviewer", query={"subject": "v2", "download": "json"}))
    assert refused.status == 403 and refused.download is None
    nobody = render("/subjects", request(store, "reviewer", query={"subject": "nobody"}))
    assert "Nothing is stored for this id." in nobody.body


def test_an_officer_downloads_the_export(store: Store) -> None:
    traffic(store)
    log = ListAccessLog()
    result = render("/subjects", request(store, "officer", query={"subject": "v1", "download": "json"}, access=log))
    assert result.download is not None and result.download.content_type == "application/json"
    doc = json.loads(b"".join(result.download.chunks))
    want = export_subject(store, "v1")
    assert {k: v for k, v in doc.items() if k != "generated_at"} == {
        k: v for k, v in want.items() if k != "generated_at"}
    assert log.records == [("officer-user", "export_subject", "v1", {"events": "4", "ledger": "0"})]


def test_an_erasure_needs_the_id_typed_again_then_leaves_a_tombstone(store: Store) -> None:
    traffic(store)
    page = render("/subjects", request(store, "officer", query={"subject": "v3"})).body
    form = next(a for t, a in Markup(page).tags if t == "form" and a.get("method") == "post")
    assert form["action"] == "/console/subjects"
    assert '<input type="hidden" name="csrf" value="tok-123">' in page
    log = ListAccessLog()
    wrong = render("/subjects", request(store, "officer", method="POST", form={"subject": "v3", "confirm": "v"},
                                        access=log))
    assert wrong.status == 400 and "nothing was erased" in wrong.notices[-1] and not log.records
    assert len(events(store, visitor_id="v3")) == 2
    done = render("/subjects", request(store, "officer", method="POST", form={"subject": "v3", "confirm": "v3"},
                                       access=log))
    assert done.redirect.startswith("/subjects?subject=v3&erased=")
    assert events(store, visitor_id="v3") == [] and events(store, consent_id="c-v3") == []
    assert log.records[0][1:3] == ("erase_subject", "v3") and log.records[0][3]["events_removed"] == "2"
    query = dict(p.split("=") for p in done.redirect.split("?", 1)[1].split("&"))
    after = render("/subjects", request(store, "officer", query=query, now=utc(9)))
    assert after.notices == ("Erased: 2 events removed, 0 ledger records redacted.",)
    stones = table_rows(after.body, "Tombstones")
    assert len(stones) == 1 and stones[0][1] == "v3" and stones[0][3] == "2"
    assert "Nothing is stored for this id." in after.body
    log_view = render("/log", request(store, "reviewer", query={"from": "2026-03-02", "to": "2026-03-03"}))
    assert "v3" not in [r[4] for r in table_rows(log_view.body, "Events")]
