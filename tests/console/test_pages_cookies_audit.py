"""The Cookies page (the declaration, cookies seen and their lifetimes, undeclared and removed ones)
and the Audit page (the last recorded run; running one now)."""

from __future__ import annotations

from consentkit.review import declaration, last_run
from consentkit.storage import Store
from console.console_helpers import ListAccessLog, Markup, config, facts_of, render, request, table_rows
from rollup_data import event, utc


def test_the_cookies_page_lists_the_declaration_what_was_seen_and_what_was_removed(store: Store) -> None:
    store.add_counts({
        ("2026-03-02", "cookie.lifetime", "_ga|63072000"): 4,
        ("2026-03-02", "cookie.lifetime", '<img src=x onerror="y">|3600'): 1,
        ("2026-03-02", "cookie.undeclared.reported", '<img src=x onerror="y">'): 1,
        ("2026-03-02", "cookie.stripped", "_fbp|marketing"): 5,
        ("2026-03-03", "cookie.stripped", "_fbp|marketing"): 2,
    })
    cfg = config()
    result = render("/cookies", request(store, "viewer", cfg=cfg))
    declared = table_rows(result.body, "Cookies")
    want = declaration(cfg, store, lang="en")
    assert len(declared) == sum(len(c.cookies) for c in want.categories)
    ga = next(r for r in declared if r[1] == "_ga")
    assert ga[4] == "730 days" and ga[5] == "_ga"
    assert ["_ga", "730 days"] in table_rows(result.body, "Cookies seen set")
    assert table_rows(result.body, "Undeclared cookies seen") == [['<img src=x onerror="y">', "1 hours"]]
    assert "<img" not in result.body and "&lt;img src=x onerror=&quot;y&quot;&gt;" in result.body
    assert table_rows(result.body, "Cookies removed for want of consent") == [["_fbp", "marketing", "7"]]


def test_the_audit_page_shows_the_last_run_and_runs_one(store: Store) -> None:
    cfg = config()
    first = render("/audit", request(store, "reviewer", cfg=cfg))
    assert "No audit has been recorded yet." in first.body
    form = next(a for t, a in Markup(first.body).tags if t == "form" and a.get("method") == "post")
    assert form["action"] == "/console/audit" and 'name="csrf" value="tok-123"' in first.body
    # An event whose consent id has no ledger record: the consent check finds it.
    store.write_events([event(utc(2), "/", "v1", "s1")])
    log = ListAccessLog()
    ran = render("/audit", request(store, "reviewer", method="POST", cfg=cfg, now=utc(3), access=log))
    run = last_run(store)
    assert run is not None and run.findings >= 1
    checks = {r[0]: r for r in table_rows(ran.body, "Check")}
    assert checks["consent"][3] == "1" and checks["ledger"][3] == "0"
    assert any(r[0] == "consent" for r in table_rows(ran.body, "Findings"))
    assert log.records == [("reviewer-user", "run_audit", "", {"findings": str(run.findings),
                                                               "run_id": str(run.id)})]
    again = render("/audit", request(store, "viewer", cfg=cfg))
    assert facts_of(again.body)["Findings"] == str(run.findings) and f"{run.findings:,} findings." in again.body
