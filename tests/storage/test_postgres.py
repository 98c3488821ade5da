"""What only the PostgreSQL store does: cross-process locking, partitions, COPY, pooling, failures."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
from consentkit.ledger import LedgerDraft, verify
from consentkit.responses import response_headers
from consentkit.review import events
from consentkit.storage import StoreError, open_store
from consentkit.storage.postgres import PostgresStore, month_bounds, partition_name, redact_url
from pg import PgServer, free_port

from conftest import make_config

pytestmark = pytest.mark.postgres


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC).timestamp()


def draft(i: int) -> LedgerDraft:
    return LedgerDraft(time.time(), f"consent-{i:06d}", ("analytics",), (), "1", "h" * 64, False, False, "api",
                       "81.2.69.0", "u" * 32)


@pytest.fixture
def store(pg_db_url: str) -> Iterator[PostgresStore]:
    s = open_store(pg_db_url)
    assert isinstance(s, PostgresStore)
    yield s
    s.close()


APPENDER = textwrap.dedent(
    """
    import sys, time
    from consentkit.ledger import LedgerDraft
    from consentkit.storage import open_store
    url, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(url)
    for i in range(n):
        store.append_ledger(LedgerDraft(time.time(), f"{tag}-{i}", ("analytics",), (), "1", "h" * 64,
                                        False, True, "banner", None, None))
    store.close()
    """
)


def test_appends_from_two_processes_and_threads_keep_one_verifiable_chain(store: PostgresStore,
                                                                           pg_db_url: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, pg_db_url, f"proc{n}", "40"], stderr=subprocess.PIPE)
        for n in range(2)
    ]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                store.append_ledger(draft(n * 1000 + i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert not errors
    records = list(store.ledger())
    assert [r.seq for r in records] == list(range(1, 141))
    assert verify(records).ok
    assert {r.consent_id.split("-")[0] for r in records} == {"proc0", "proc1", "consent"}
    assert store.query("SELECT seq, hash FROM ck_ledger_head") == [(140, records[-1].hash)]


def test_concurrent_start_ups_migrate_exactly_once(pg_db_url: str) -> None:
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(5)

    def start() -> None:
        try:
            s = PostgresStore(pg_db_url)
            barrier.wait(timeout=30)
            results.append(s.migrate())
            s.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 5 and len(set(results)) == 1
    check = PostgresStore(pg_db_url)
    assert check.query("SELECT version FROM ck_schema ORDER BY version") == [(v,) for v in range(1, results[0] + 1)]
    assert check.query("SELECT id, seq FROM ck_ledger_head") == [(1, 0)]
    check.close()


def test_partitions_are_created_per_month_on_demand(store: PostgresStore) -> None:
    assert store.partitions() == ["ck_events_default"]
    stamps = [utc(2024, 1, 31, 23, 59, 59), utc(2024, 2, 1), utc(2024, 2, 29, 12), utc(2024, 12, 31, 23),
              utc(2025, 1, 1)]
    store.write_events([{"ts": ts, "kind": "pageview", "path": f"/{i}"} for i, ts in enumerate(stamps)])
    assert store.partitions() == [
        "ck_events_default", "ck_events_y2024m01", "ck_events_y2024m02", "ck_events_y2024m12", "ck_events_y2025m01",
    ]
    placed = store.query("SELECT path, tableoid::regclass::text FROM ck_events ORDER BY ts")
    assert placed == [("/0", "ck_events_y2024m01"), ("/1", "ck_events_y2024m02"), ("/2", "ck_events_y2024m02"),
                      ("/3", "ck_events_y2024m12"), ("/4", "ck_events_y2025m01")]
    assert [e["path"] for e in events(store)] == ["/0", "/1", "/2", "/3", "/4"]
    # A second store (another app server) knows nothing cached and must cope with existing partitions.
    other = PostgresStore(store.url)
    other.write_events([{"ts": utc(2024, 2, 10), "kind": "pageview", "path": "/again"}])
    other.close()
    assert len(store.partitions()) == 5


def test_rows_that_reached_the_default_partition_move_to_their_month(store: PostgresStore) -> None:
    store.execute("INSERT INTO ck_events (ts, kind, path) VALUES (?, 'pageview', '/stray')", [utc(2023, 6, 5)])
    store.write_events([{"ts": None, "kind": "pageview", "path": "/no-time"}])
    assert store.query("SELECT path FROM ck_events_default ORDER BY path") == [("/no-time",), ("/stray",)]
    store.write_events([{"ts": utc(2023, 6, 20), "kind": "pageview", "path": "/june"}])
    assert store.query("SELECT path FROM ck_events_default") == [("/no-time",)]
    assert store.query("SELECT path FROM ck_events_y2023m06 ORDER BY ts") == [("/stray",), ("/june",)]


def test_month_bounds() -> None:
    assert month_bounds(utc(2024, 12, 15)) == (2024, 12, utc(2024, 12, 1), utc(2025, 1, 1))
    assert month_bounds(utc(2024, 3, 1)) == (2024, 3, utc(2024, 3, 1), utc(2024, 4, 1))
    assert partition_name(2024, 3) == "ck_events_y2024m03"


def test_copy_writes_many_rows(store: PostgresStore) -> None:
    rows = [{"ts": utc(2024, 5, 1) + i, "kind": "pageview", "path": f"/{i % 7}", "is_bot": i % 2, "status": 200}
            for i in range(3000)]
    store.write_events(rows)
    assert store.query("SELECT COUNT(*), SUM(CASE WHEN is_bot THEN 1 ELSE 0 END), MIN(status) FROM ck_events") == [
        (3000, 1500, 200)
    ]


def test_unreachable_server_is_a_store_error_naming_the_url_without_password() -> None:
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{free_port()}/consentkit"
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "postgresql://app:***@127.0.0.1" in message
    assert "s3cret-pw" not in message


def test_redact_url() -> None:
    assert redact_url("postgresql://u:p@h:5432/db?sslmode=require") == "postgresql://u:***@h:5432/db?sslmode=require"
    assert redact_url("postgresql://h/db?user=u&password=p") == "postgresql://h/db?user=u&password=***"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_server_going_down_is_a_store_error_and_the_store_recovers_when_it_is_back() -> None:
    server = PgServer.start()
    try:
        store = PostgresStore(server.url, connect_timeout=2, pool_timeout=3.0)
        store.migrate()
        store.append_ledger(draft(1))
        server.stop(remove=False)
        started = time.monotonic()
        with pytest.raises(StoreError) as info:
            store.append_ledger(draft(2))
        assert time.monotonic() - started < 15
        assert server.url in str(info.value)
        server.run_server({})
        deadline = time.monotonic() + 30
        while True:  # the pool reconnects in the background
            try:
                store.append_ledger(draft(3))
                break
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        records = list(store.ledger())
        assert [r.consent_id for r in records] == ["consent-000001", "consent-000003"]
        assert verify(records).ok
        store.close()
    finally:
        server.stop()


def test_a_forked_child_gets_its_own_connections(store: PostgresStore) -> None:
    store.append_ledger(draft(1))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            store.append_ledger(draft(2))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.append_ledger(draft(3))  # the parent's pooled connection still works after the child exited
    records = list(store.ledger())
    assert [r.seq for r in records] == [1, 2, 3] and verify(records).ok


def test_read_only_connections_refuse_writes(store: PostgresStore) -> None:
    with pytest.raises(StoreError, match="read-only"), store.connection(write=False) as conn:
        conn.execute("DELETE FROM ck_counts")


def test_closed_store_says_so(pg_db_url: str) -> None:
    s = PostgresStore(pg_db_url)
    s.migrate()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.counts()


ODD_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
                   max_size=40)  # NUL and lone surrogates included


@pytest.fixture
def collecting(pg_db_url: str, tmp_path: Any) -> Iterator[Engine]:
    engine = Engine(make_config(tmp_path, storage_url=pg_db_url, collection={"keep_query": ["q"]}))
    yield engine
    engine.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(ODD_TEXT, ODD_TEXT, ODD_TEXT, ODD_TEXT), min_size=1, max_size=6))
def test_whatever_a_request_carries_every_consented_page_view_is_stored(
        collecting: Engine, pages: list[tuple[str, str, str, str]]) -> None:
    """Paths, queries and headers with NUL, lone surrogates, anything: no event is lost on PostgreSQL."""
    engine = collecting
    writer = engine.writer
    choice = Choice(new_id(), engine.config.optional, engine.config.policy_version, time.time())
    before = writer.written
    for path, query, ua, referrer in pages:
        headers = {"user-agent": ua, "referer": referrer, "accept-language": ua[:8],
                   "cookie": f"ck_consent={engine.codec.encode(choice)}"}
        ex = engine.begin(RequestView("GET", "/" + path, "q=" + query, headers, "81.2.69.142", "https"))
        response_headers(engine, ex, [("content-type", "text/html")])
        engine.finish(ex, 200, "text/html")
    writer.flush()
    assert engine.collector is not None
    counted = [p for p, *_ in pages if not engine.collector.not_pages.match("/" + p)]  # "/.js" is no page
    assert (writer.written - before, writer.dropped, writer.failures) == (len(counted), 0, 0)
