"""The Ledger page: records with filters and pages, the chain's verdict (`consentkit ledger verify`'s)
and where it breaks, and a record's shown-text fingerprint resolved to the texts the visitor saw."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from consentkit import ConsentMiddleware
from consentkit.ledger import LedgerDraft
from consentkit.storage import Store
from console.console_helpers import ListAccessLog, config, render, request, table_rows
from rollup_data import utc

from conftest import ORIGIN, asgi_site, make_config


def draft(i: int, consent_id: str = "", policy: str = "1", source: str = "banner") -> LedgerDraft:
    return LedgerDraft(utc(2, 10, i % 60), consent_id or f"c{i}", ("analytics",), ("marketing",), policy, "0" * 64,
                       False, i % 2 == 0, source, "81.2.69.0", "ua")


def test_records_page_by_number_and_filter_by_consent_policy_and_source(store: Store) -> None:
    for i in range(1, 61):
        store.append_ledger(draft(i, policy="2" if i % 10 == 0 else "1", source="api" if i == 7 else "banner"))
    first = render("/ledger", request(store, "reviewer"))
    rows = table_rows(first.body, "Ledger records")
    assert [int(r[0]) for r in rows] == list(range(1, 51))
    assert 'href="/console/ledger?seq=50"' in first.body
    rest = table_rows(render("/ledger", request(store, "reviewer", query={"seq": "50"})).body, "Ledger records")
    assert [int(r[0]) for r in rest] == list(range(51, 61))
    policy = render("/ledger", request(store, "reviewer", query={"policy": "2"})).body
    assert [int(r[0]) for r in table_rows(policy, "Ledger records")] == [10, 20, 30, 40, 50, 60]
    assert [int(r[0]) for r in table_rows(render("/ledger", request(store, "reviewer", query={"source": "api"})).body,
                                          "Ledger records")] == [7]
    log = ListAccessLog()
    one = render("/ledger", request(store, "reviewer", query={"consent": "c33"}, access=log)).body
    assert [r[2] for r in table_rows(one, "Ledger records")] == ["c33"]
    assert log.records == [("reviewer-user", "filter_ledger", "c33", {"filter": "consent"})]


def test_verify_names_the_record_where_the_chain_breaks(store: Store) -> None:
    for i in range(1, 6):
        store.append_ledger(draft(i))
    assert "not verified on this view" in render("/ledger", request(store, "reviewer")).body
    ok = render("/ledger", request(store, "reviewer", query={"verify": "1"})).body
    assert "The chain verifies: 5 records checked." in ok
    store.execute("UPDATE ck_ledger SET granted = ? WHERE seq = 3", ['["marketing"]'])
    bad = render("/ledger", request(store, "reviewer", query={"verify": "1"})).body
    assert "The chain breaks at record 3: content does not match its hash (2 records verified before it)." in bad
    assert '<a href="/console/ledger?seq=2">#3</a>' in bad


def test_a_fingerprint_resolves_to_the_texts_the_visitor_saw(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    mw = ConsentMiddleware(asgi_site(), config=cfg)
    with TestClient(mw, client=("127.0.0.1", 50000)) as client:
        assert client.post("/_consent", json={"action": "accept_all", "lang": "de"}, headers=ORIGIN).status_code < 400
        client.cookies.clear()
        assert client.post("/_consent", json={"action": "reject_all"}, headers=ORIGIN).status_code < 400
    store = mw.engine.store
    try:
        body = render("/ledger", request(store, "reviewer", cfg=cfg)).body
        links = re.findall(r'href="/console/ledger\?texts=([0-9a-f]{64})">Show the texts \(([^)]*)\)</a>', body)
        assert [lang for _, lang in links] == ["de", "\u2013"]
        german = render("/ledger", request(store, "reviewer", cfg=cfg, query={"texts": links[0][0]})).body
        rows = dict(table_rows(german, "Shown texts"))
        assert rows["accept_all"] == "Alle akzeptieren" and rows["lang"] == "de"
        bumped: Any = config(storage_url=cfg.storage_url, policy_version="2")
        later = render("/ledger", request(store, "reviewer", cfg=bumped, query={"texts": links[0][0]})).body
        assert "Not the texts of the current configuration (policy 2)" in later
        assert "Show the texts" not in later.split("Ledger records", 1)[1]
    finally:
        mw.engine.close()
