"""SQLite files visitor and consent ids in bulk (`ck_event_subjects`) instead of indexing each row:
lookups still find every event of a subject, without scanning the events, and the file stays exact."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit.review import erase_subject, events, export_subject, visits
from consentkit.storage import open_store
from consentkit.storage.schema import EVENT_FIELDS, migrations
from consentkit.storage.sqlite import INSERT_SIZES, SQLiteStore, _chunks
from store_checks import assert_subject_file_exact

T0 = 1_714_564_800.0


def ev(i: int, visitor: str | None = None, consent: str | None = None) -> dict[str, Any]:
    return {"ts": T0 + i, "kind": "pageview", "method": "GET", "host": "example.com", "path": f"/{i}", "status": 200,
            "visitor_id": visitor if visitor is not None else f"v{i % 4}", "session_id": f"s{i % 4}",
            "consent_id": consent if consent is not None else f"c{i % 4}", "policy_version": "1",
            "basis": "analytics", "truncated": False}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLiteStore]:
    monkeypatch.setattr("consentkit.storage.sqlite.SUBJECT_INDEX_ROWS", 5)
    s = open_store(f"sqlite:///{tmp_path / 'ck.db'}")
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


def mark(store: SQLiteStore) -> int:
    return int(store.query("SELECT upto FROM ck_subject_mark")[0][0])


def test_ids_are_filed_once_enough_events_wait_and_found_either_way(store: SQLiteStore) -> None:
    store.write_events([ev(i) for i in range(3)])
    assert mark(store) == 0 and store.query("SELECT COUNT(*) FROM ck_event_subjects") == [(0,)]
    assert [e["path"] for e in events(store, visitor_id="v1")] == ["/1"]  # from the unfiled tail
    store.write_events([ev(i) for i in range(3, 6)])  # 6 unfiled >= 5: all filed, in one go
    assert mark(store) == 6
    assert_subject_file_exact(store)
    store.write_events([ev(i) for i in range(6, 8)])  # 2 more wait
    assert mark(store) == 6
    assert [e["path"] for e in events(store, visitor_id="v1")] == ["/1", "/5"]
    assert [e["path"] for e in events(store, visitor_id="v2")] == ["/2", "/6"]  # filed and unfiled together
    assert [e["path"] for e in events(store, consent_id="c3")] == ["/3", "/7"]
    assert [e["path"] for e in events(store, visitor_id="v2", consent_id="c2")] == ["/2", "/6"]
    assert events(store, visitor_id="c2") == []  # the file holds both kinds of id; the row decides
    assert [v.session_id for v in visits(store, visitor_id="v3")] == ["s3"]
    assert [e["path"] for e in export_subject(store, "c0")["events"]] == ["/0", "/4"]


def test_deletes_and_changed_ids_keep_the_file_exact(store: SQLiteStore) -> None:
    store.write_events([ev(i) for i in range(10)])
    assert mark(store) == 10
    store.execute("UPDATE ck_events SET visitor_id = NULL WHERE path = '/1'")  # retention nulls a field
    store.execute("UPDATE ck_events SET consent_id = 'c-new' WHERE path = '/2'")
    store.execute("DELETE FROM ck_events WHERE path = '/3'")
    assert_subject_file_exact(store)
    assert [e["path"] for e in events(store, consent_id="c-new")] == ["/2"]
    assert [e["path"] for e in events(store, visitor_id="v1")] == ["/5", "/9"]
    stone = erase_subject(store, "v0")
    assert stone.events_removed == 3
    assert_subject_file_exact(store)
    assert store.query("SELECT COUNT(*) FROM ck_event_subjects WHERE subject IN ('v0', 'c0')") == [(0,)]


def test_subject_lookups_do_not_scan_the_events(store: SQLiteStore) -> None:
    store.write_events([ev(i, visitor=f"v{i}", consent=f"c{i}") for i in range(2000)])
    cond, args = store.subject_match("visitor_id", ["v7", "v8"])
    queries = [  # the shapes the review API uses: ordered pages, grouping, deletion
        f"SELECT id FROM ck_events WHERE {cond} AND ts IS NOT NULL ORDER BY ts, id LIMIT 5000",
        f"SELECT session_id FROM ck_events WHERE {cond} AND session_id IS NOT NULL GROUP BY session_id",
        f"DELETE FROM ck_events WHERE {cond}",
    ]
    for sql in queries:
        plan = [str(row[-1]) for row in store.query("EXPLAIN QUERY PLAN " + sql, args)]
        assert any("ck_event_subjects USING PRIMARY KEY" in step for step in plan), plan
        assert not any(step.startswith("SCAN ck_events") for step in plan), plan
        assert not any("USING INDEX ck_events_ts" in step for step in plan), plan
    assert [e["path"] for e in events(store, visitor_id="v7")] == ["/7"]


def test_a_database_of_schema_version_1_is_filed_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in migrations("sqlite")[0]:
        conn.execute(sql)
    conn.execute("CREATE TABLE ck_schema (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO ck_schema (version) VALUES (1)")
    rows = [ev(i) for i in range(6)]
    conn.executemany(f"INSERT INTO ck_events ({', '.join(EVENT_FIELDS)}) VALUES ({', '.join('?' * len(EVENT_FIELDS))})",
                     [tuple(map(e.get, EVENT_FIELDS)) for e in rows])
    conn.close()
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.query("SELECT MAX(version) FROM ck_schema") == [(len(migrations("sqlite")),)]
        dropped = "SELECT name FROM sqlite_master WHERE name IN ('ck_events_visitor', 'ck_events_consent')"
        assert store.query(dropped) == []
        assert store.query("SELECT upto FROM ck_subject_mark") == [(6,)]
        assert_subject_file_exact(store)
        assert [e["path"] for e in events(store, visitor_id="v2")] == ["/2"]
    finally:
        store.close()


def test_a_store_in_another_process_files_and_this_one_keeps_count(store: SQLiteStore, tmp_path: Path) -> None:
    """Each store remembers the mark it last read, never above the real one: none files twice or late."""
    other = SQLiteStore(str(tmp_path / "ck.db"))
    try:
        store.write_events([ev(i) for i in range(4)])
        other.write_events([ev(i) for i in range(4, 9)])  # 9 waiting: the other files them
        assert mark(store) == 9
        store.write_events([ev(i) for i in range(9, 12)])  # 3 waiting: too few, whoever counts
        assert mark(store) == 9
        store.write_events([ev(i) for i in range(12, 14)])
        assert mark(store) == 14
        other.write_events([ev(14)])
        assert mark(store) == 14
        assert_subject_file_exact(store)
        assert [e["path"] for e in events(store, visitor_id="v1")] == ["/1", "/5", "/9", "/13"]
    finally:
        other.close()


def test_a_batch_is_one_statement_and_a_bigger_one_one_transaction(store: SQLiteStore) -> None:
    """sqlite3 gives up the GIL at each call into SQLite and may wait long to get it back from a busy
    request thread: a batch of the default size makes one call, not a BEGIN, INSERTs and a COMMIT."""
    store.write_events([ev(0)])
    statements: list[str] = []
    with store.events_connection() as conn:  # the connection every batch uses
        conn.set_trace_callback(statements.append)
    statements.clear()
    store.write_events([ev(i) for i in range(1, 501)])  # 500: the default batch, filed after it (mark 501)
    heads = [s.split(" (")[0] for s in statements]
    assert heads[:3] == ["INSERT INTO ck_events", "BEGIN IMMEDIATE", "SELECT upto FROM ck_subject_mark"]
    assert heads[-1] == "COMMIT" and mark(store) == 501
    statements.clear()
    store.write_events([ev(i) for i in range(501, 503)])  # 2 waiting: no filing, nothing read
    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO ck_events"]
    statements.clear()
    store.write_events([ev(i) for i in range(503, 1704)])  # 1,201 rows: 500 + 500 + 100 + 100 + 1, one transaction
    heads = [s.split(" (")[0] for s in statements]
    assert heads[:7] == ["BEGIN IMMEDIATE"] + ["INSERT INTO ck_events"] * 5 + ["COMMIT"]
    assert [s.count("), (") + 1 for s in statements[1:6]] == [500, 500, 100, 100, 1]
    conn.set_trace_callback(None)
    assert store.query("SELECT COUNT(*), MIN(id), MAX(id) FROM ck_events") == [(1704, 1, 1704)]
    assert [e["path"] for e in events(store, visitor_id="v3")][-2:] == ["/1699", "/1703"]
    assert_subject_file_exact(store)


@given(n=st.integers(0, 5000), most=st.integers(1, 1000))
def test_a_batch_of_any_size_takes_few_statements_of_few_sizes(n: int, most: int) -> None:
    """Whatever the batch, its statements are of INSERT_SIZES (within the parameter limit) but for
    one of what is left; so only a handful of sizes are ever prepared."""
    chunks = _chunks(n, most)
    assert sum(chunks) == n and all(0 < c <= most for c in chunks)
    allowed = [s for s in INSERT_SIZES if s <= most]
    smallest = allowed[-1] if allowed else most
    *whole, rest = chunks or [smallest]
    assert all(c in allowed or (not allowed and c == most) for c in whole)
    assert rest in allowed or rest < smallest or rest == most
    assert chunks == sorted(chunks, reverse=True)
    if allowed:
        assert len(chunks) <= n // allowed[0] + sum(allowed[i] // allowed[i + 1] for i in range(len(allowed) - 1)) + 1


def test_processes_writing_batches_at_once_lose_nothing_and_file_everything(store: SQLiteStore, tmp_path: Path) -> None:
    """App servers with several workers share one SQLite file: each batch is its own INSERT there,
    waiting out the others' locks, and whichever process finds a filing due does it."""
    path = str(tmp_path / "ck.db")
    store.write_events([ev(0)])  # the schema exists before the workers start
    workers = 3
    pids = []
    for w in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: reports through its exit status, never returns into pytest
            code = 1
            try:
                mine = SQLiteStore(path)
                rnd = random.Random(w)
                n = 0
                for _ in range(40):
                    size = rnd.choice([1, 3, 17, 20, 45, 120])
                    mine.write_events([ev(1000 * (w + 1) + n + i, visitor=f"w{w}", consent=f"c{w}-{(n + i) % 3}")
                                       for i in range(size)])
                    n += size
                mine.close()
                with open(f"{path}.{w}", "w") as f:
                    f.write(str(n))
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    written = {w: int((tmp_path / f"ck.db.{w}").read_text()) for w in range(workers)}
    store.write_events([ev(1)])  # one more batch: files what the workers left waiting, if due
    for w, n in written.items():
        assert len(events(store, visitor_id=f"w{w}")) == n
        assert sum(len(events(store, consent_id=f"c{w}-{k}")) for k in range(3)) == n
    total = sum(written.values()) + 2
    assert store.query("SELECT COUNT(*), MAX(id) FROM ck_events") == [(total, total)]
    assert total - mark(store) < 5  # fewer than the fixture's 5 left waiting to be filed
    assert_subject_file_exact(store)


def test_a_filing_that_fails_costs_no_stored_batch(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """The batch is committed before its filing: a filing that fails (a lock held too long) must not
    make the writer count the batch lost, or write it again; the next batch files it all."""
    import consentkit.storage.sqlite as sqlite_store

    real = sqlite_store._file_subjects

    def locked(cur: Any, last: int, at_least: int) -> int:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(sqlite_store, "_file_subjects", locked)
    store.write_events([ev(i) for i in range(6)])  # due for filing, which fails
    assert "filing event subjects failed" in caplog.text
    assert store.query("SELECT COUNT(*) FROM ck_events") == [(6,)] and mark(store) == 0
    assert [e["path"] for e in events(store, visitor_id="v1")] == ["/1", "/5"]  # from the unfiled tail
    monkeypatch.setattr(sqlite_store, "_file_subjects", real)
    store.write_events([ev(6)])
    assert mark(store) == 7
    assert_subject_file_exact(store)
