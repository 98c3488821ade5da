"""`stats`: every anonymous counter, listed generically, on both engines."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from consentkit.cli import main
from consentkit.ledger import LedgerDraft
from consentkit.review import counter_totals, stats
from consentkit.storage import Store, open_store
from consentkit.storage.writer import Writer


@pytest.fixture
def counted(store: Store) -> Store:
    store.add_counts({
        ("2026-01-01", "pageviews", "/"): 5,
        ("2026-01-02", "pageviews", "/"): 3,
        ("2026-01-02", "pageviews", "/about"): 9,
        ("2026-01-02", "cookie.undeclared.reported", "_x"): 2,
        ("2026-01-03", "chat", "shown"): 4,
        ("2026-01-03", "consent.outcome", "accept_all"): 7,  # a metric this code has never heard of
    })
    return store


def test_every_metric_is_listed_with_its_keys_by_count(counted: Store) -> None:
    got = stats(counted)
    assert [m.metric for m in got.metrics] == ["chat", "consent.outcome", "cookie.undeclared.reported", "pageviews"]
    pages = got.metric("pageviews")
    assert pages is not None and pages.total == 17 and pages.label == "counted page views, by path"
    assert [(k.key, k.count, k.first_day, k.last_day) for k in pages.keys] == [
        ("/about", 9, "2026-01-02", "2026-01-02"), ("/", 8, "2026-01-01", "2026-01-02")]
    unknown = got.metric("consent.outcome")
    assert unknown is not None and unknown.label == "consent.outcome" and unknown.total == 7


def test_days_bound_the_period_inclusively(counted: Store) -> None:
    got = stats(counted, since_day="2026-01-02", until_day="2026-01-02")
    assert [m.metric for m in got.metrics] == ["cookie.undeclared.reported", "pageviews"]
    pages = got.metric("pageviews")
    assert pages is not None and pages.total == 12


def test_totals_are_read_in_pages(counted: Store) -> None:
    rows = list(counter_totals(counted, batch=2))
    assert [(r.metric, r.key) for r in rows] == [
        ("chat", "shown"), ("consent.outcome", "accept_all"), ("cookie.undeclared.reported", "_x"),
        ("pageviews", "/"), ("pageviews", "/about")]
    assert [r.key for r in counter_totals(counted, metric_prefix="cookie.")] == ["_x"]
    counted.add_counts({("2026-01-04", "a_b", "1"): 1, ("2026-01-04", "axb", "2"): 1})
    assert [r.key for r in counter_totals(counted, metric_prefix="a_")] == ["1"]  # `_` is no wildcard here


def test_dropped_and_failed_events_are_counted(store: Store) -> None:
    writer = Writer(store, queue_size=10, batch_size=500, interval_s=60)  # the thread waits: the queue fills
    for i in range(13):
        writer.submit({"ts": 1.0 + i, "kind": "pageview"})
    store.execute("DROP TABLE ck_events")  # events can no longer be stored; counters still can
    writer.stop()
    got = stats(store)
    dropped, failed = got.metric("events.dropped"), got.metric("events.failed")
    assert dropped is not None and [(k.key, k.count) for k in dropped.keys] == [("queue_full", 3)]
    assert failed is not None and [(k.key, k.count) for k in failed.keys] == [("store_failed", 10)]
    assert writer.dropped == 13


def test_the_command_prints_a_table_and_json(counted: Store, any_store_url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--storage-url", any_store_url, "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "consent.outcome" in out and "accept_all" in out
    assert "/about" in out and "… 1 more" in out and "counted page views, by path" in out
    assert main(["stats", "--storage-url", any_store_url, "--json", "--since", "2026-01-03"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["metric"] for m in doc["metrics"]] == ["chat", "consent.outcome"]


@pytest.mark.postgres
def test_stats_and_an_unrecorded_audit_need_only_select_on_postgresql(
    pg_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    store = open_store(pg_db_url)
    store.append_ledger(LedgerDraft(time.time() - 60, "c" * 22, ("analytics",), (), "1", "h" * 64, False, False,
                                    "banner", None, None))
    store.add_counts({("2026-01-01", "pageviews", "/"): 1})
    store.close()
    role = f"ck_stats_{os.getpid()}"
    with psycopg.connect(pg_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'reader-pw'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(pg_db_url)
    reader = urlunsplit(parts._replace(netloc=f"{role}:reader-pw@{parts.netloc.rpartition('@')[2]}"))
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'storage_url = "{reader}"\n')
    try:
        assert main(["stats", "--storage-url", reader]) == 0, capsys.readouterr().err
        assert main(["audit", "--config", str(cfg), "--no-record"]) == 0, capsys.readouterr()
        capsys.readouterr()
        assert main(["audit", "--config", str(cfg)]) == 1  # recording the run needs INSERT
        assert "permission denied" in capsys.readouterr().err
    finally:
        with psycopg.connect(pg_db_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
