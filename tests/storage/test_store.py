"""The store contract, run against both engines (SQLite and a real PostgreSQL server)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from consentkit.clock import today
from consentkit.ledger import LedgerDraft, verify
from consentkit.review import events
from consentkit.storage import Store, StoreError, open_store
from consentkit.storage.schema import EVENT_FIELDS
from consentkit.storage.sqlite import SQLiteStore
from consentkit.storage.writer import Writer

T0 = 1_714_564_800.25  # 2024-05-01T12:00:00.25Z


def full_event(i: int, ts: float = T0) -> dict[str, Any]:
    """An event with every field set, each of its column's type."""
    return {
        "ts": ts + i, "kind": "pageview", "method": "GET", "host": "example.com", "path": f"/p/{i}?q=1",
        "status": 200 + i, "duration_ms": 12.5 + i,
        "referrer_host": "search.example", "referrer_path": "/search", "referrer_class": "search",
        "utm_source": "news", "utm_medium": "email", "utm_campaign": "spring", "utm_term": "shoes",
        "utm_content": "top", "click_id": f"gclid{i}",
        "ip": "81.2.69.0", "country": "GB", "region": "ENG", "city": "London", "asn": 2856 + i, "isp": "BT",
        "browser": "Firefox", "browser_version": "125", "os": "Linux", "os_version": "6", "device": "desktop",
        "device_brand": "Dell", "device_model": "XPS", "is_bot": i % 2 == 1,
        "language": "en", "visitor_id": f"v{i}", "session_id": f"s{i}", "consent_id": f"c{i}",
        "policy_version": "3", "basis": "analytics,necessary",
        "engaged_ms": 1500 * i, "scroll": 75, "clicks": '["https://out.example/"]', "truncated": i % 3 == 0,
    }


def sparse_event(ts: float = T0) -> dict[str, Any]:
    """Only what every event has; everything else not collected."""
    return {"ts": ts, "kind": "pixel", "method": "GET", "host": "example.com", "path": "/mail",
            "consent_id": None, "policy_version": "3", "basis": "necessary", "truncated": False}


def draft(i: int, ip: str | None = "81.2.69.0") -> LedgerDraft:
    return LedgerDraft(T0 + i, f"consent-{i:05d}", ("analytics",), ("marketing",), "1", "h" * 64, False,
                       i % 2 == 0, "banner", ip, "u" * 32)


@pytest.fixture
def store(any_store_url: str) -> Any:
    s = open_store(any_store_url)
    yield s
    s.close()


def test_full_event_round_trips_with_every_field(store: Store) -> None:
    written = [full_event(1), full_event(2), sparse_event(T0 + 10)]
    store.write_events(written)
    got = events(store)
    assert len(got) == 3
    for want, have in zip(written, got, strict=True):
        assert tuple(have) == EVENT_FIELDS
        for f in EVENT_FIELDS:
            assert have[f] == want.get(f), f
            assert type(have[f]) is type(want.get(f)), f  # bool stays bool, int int, float float, None None


def test_events_with_numbers_as_other_types_are_stored_as_their_column_type(store: Store) -> None:
    store.write_events([{"ts": int(T0), "kind": "pageview", "status": 404, "is_bot": 1, "truncated": 0,
                         "duration_ms": 3, "asn": 64500}])
    (ev,) = events(store)
    assert ev["is_bot"] is True and ev["truncated"] is False
    assert ev["status"] == 404 and ev["asn"] == 64500
    assert ev["ts"] == T0 // 1 and isinstance(ev["ts"], float)


def test_empty_writes_are_no_ops(store: Store) -> None:
    store.write_events([])
    store.add_counts({})
    assert events(store) == [] and store.counts() == []


def test_counters_add_up(store: Store) -> None:
    store.add_counts({("2024-05-01", "pageviews", "/"): 2, ("2024-05-01", "pixels", "-"): 1})
    store.add_counts({("2024-05-01", "pageviews", "/"): 3, ("2024-05-02", "pageviews", "/"): 7})
    assert store.counts() == [
        ("2024-05-01", "pageviews", "/", 5), ("2024-05-01", "pixels", "-", 1), ("2024-05-02", "pageviews", "/", 7),
    ]
    assert store.counts("page", "2024-05-02") == [("2024-05-02", "pageviews", "/", 7)]


def test_salts(store: Store) -> None:
    store.add_salt(100.0, b"\x00salt-one\xff")
    store.add_salt(100.0, b"ignored: same time")
    store.add_salt(200.0, b"salt-two")
    assert sorted(store.load_salts()) == [(100.0, b"\x00salt-one\xff"), (200.0, b"salt-two")]
    store.delete_salts_before(150.0)
    assert store.load_salts() == [(200.0, b"salt-two")]


def test_ledger_chains_verifies_and_filters(store: Store) -> None:
    recs = [store.append_ledger(draft(i)) for i in range(5)]
    assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
    assert recs[3].prev_hash == recs[2].hash
    stored = list(store.ledger())
    assert stored == recs
    assert verify(stored).ok
    assert [r.seq for r in store.ledger(consent_ids=["consent-00001", "consent-00003"])] == [2, 4]
    assert list(store.ledger(consent_ids=[])) == []
    assert [r.seq for r in store.ledger(batch=2)] == [1, 2, 3, 4, 5]


def test_ledger_tampering_is_detected_and_erasure_is_not(store: Store) -> None:
    for i in range(4):
        store.append_ledger(draft(i))
    store.execute("UPDATE ck_ledger SET ip = NULL, ua_hash = NULL WHERE seq = 2")
    assert verify(store.ledger()).ok
    store.execute("UPDATE ck_ledger SET policy_version = ? WHERE seq = 3", ["2"])
    verdict = verify(store.ledger())
    assert not verdict.ok and verdict.bad_seq == 3


def test_ledger_appends_from_threads_keep_one_chain(any_store_url: str) -> None:
    store = open_store(any_store_url)
    errors: list[BaseException] = []

    def work(base: int) -> None:
        try:
            for i in range(15):
                store.append_ledger(draft(base + i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    records = list(store.ledger())
    assert [r.seq for r in records] == list(range(1, 61))
    assert verify(records).ok
    store.close()


def test_migrations_are_idempotent(any_store_url: str) -> None:
    store = open_store(any_store_url)
    version = store.migrate()
    assert version >= 1
    assert store.migrate() == version
    assert open_store(any_store_url).migrate() == version
    assert store.query("SELECT version FROM ck_schema ORDER BY version") == [(v,) for v in range(1, version + 1)]
    store.close()


def test_app_servers_starting_together_migrate_once(any_store_url: str) -> None:
    barrier = threading.Barrier(4)
    versions: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(timeout=30)
            s = open_store(any_store_url)
            versions.append(s.query("SELECT MAX(version) FROM ck_schema")[0][0])
            s.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(versions) == 4 and len(set(versions)) == 1
    store = open_store(any_store_url)
    assert store.query("SELECT COUNT(*), COUNT(DISTINCT version) FROM ck_schema") == [(versions[0], versions[0])]
    store.close()


def test_sql_errors_become_store_errors(store: Store) -> None:
    with pytest.raises(StoreError):
        store.execute("SELECT * FROM no_such_table")
    with pytest.raises(StoreError):
        store.execute("INSERT INTO ck_counts (day, metric, key, count) VALUES (?, ?, ?, NULL)", ["d", "m", "k"])
    assert store.counts() == []  # the failed statement's transaction was rolled back, the store still works
    store.add_counts({("d", "m", "k"): 1})
    assert store.counts() == [("d", "m", "k", 1)]


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.connection() as conn:
        mark = "?" if isinstance(store, SQLiteStore) else "%s"
        conn.cursor().execute(f"INSERT INTO ck_counts (day, metric, key, count) VALUES ({', '.join([mark] * 4)})",
                              ["d", "m", "k", 1])
        raise RuntimeError("boom")
    assert store.counts() == []


def test_query_and_execute_use_the_same_placeholders(store: Store) -> None:
    store.write_events([full_event(1), full_event(2)])
    assert store.query("SELECT visitor_id FROM ck_events WHERE status = ? AND path LIKE ?", [202, "/p/%"]) == [
        ("v2",)
    ]
    assert store.execute("DELETE FROM ck_events WHERE visitor_id = ?", ["v1"]) == 1
    assert [e["visitor_id"] for e in events(store)] == ["v2"]


def test_writer_batches_reach_the_store(store: Store) -> None:
    writer = Writer(store, batch_size=7, interval_s=0.05)
    for i in range(50):
        assert writer.submit(full_event(i))
    for _ in range(50):
        writer.tally("pageviews", "/")
    writer.stop()
    assert writer.written == 50 and writer.dropped == 0 and writer.failures == 0
    got = events(store)
    assert [e["path"] for e in got] == [f"/p/{i}?q=1" for i in range(50)]
    assert store.counts() == [(today(), "pageviews", "/", 50)]


def test_events_the_store_cannot_hold_as_they_are_cost_no_other_event(store: Store,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """A NUL (a path with %00; PostgreSQL text cannot hold it) or a lone surrogate (JSON's "\\ud800";
    no engine can) in one event: the batch is split until that event is alone, which is stored with
    U+FFFD in place of what could not be; the rest of its batch is stored as it is."""
    writer = Writer(store, batch_size=64, interval_s=3600)
    odd = {5: {"path": "/a\x00b"}, 17: {"referrer_path": "/\ud800x"}, 40: {"utm_term": "\udfff", "path": "/\x00"}}
    for i in range(50):
        assert writer.submit({**full_event(i), **odd.get(i, {})})
    writer.tally("pageviews", "/a\x00b")
    writer.tally("pageviews", "/\ud800")
    writer.stop()
    assert writer.written == 50 and writer.dropped == 0 and writer.failures == 0
    got = events(store)
    assert [e["click_id"] for e in got] == [f"gclid{i}" for i in range(50)]  # every one, in order
    nul = "\x00" if store.dialect == "sqlite" else "\ufffd"  # SQLite holds a NUL as it is
    assert got[5]["path"] == f"/a{nul}b" and got[40]["path"] == "/\ufffd"
    assert got[17]["referrer_path"] == "/\ufffdx" and got[40]["utm_term"] == "\ufffd"
    assert [e["path"] for i, e in enumerate(got) if i not in odd] == [f"/p/{i}?q=1" for i in range(50) if i not in odd]
    assert store.counts() == [(today(), "pageviews", "/a\ufffdb", 1), (today(), "pageviews", "/\ufffd", 1)]
    assert "refused" not in caplog.text


def test_an_event_the_store_refuses_even_mended_is_the_only_one_dropped(store: Store,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    writer = Writer(store, batch_size=64, interval_s=3600)
    for i in range(20):
        assert writer.submit({**full_event(i), **({"status": 10**30} if i == 11 else {})})  # no integer column holds it
    writer.stop()
    assert writer.written == 19 and writer.dropped == 1 and writer.failures == 1
    assert [e["click_id"] for e in events(store)] == [f"gclid{i}" for i in range(20) if i != 11]
    assert "dropped an event the store refused" in caplog.text


def test_a_store_that_is_down_is_not_asked_row_by_row(tmp_path: Any) -> None:
    """Splitting a batch is for data the store refuses; a store that fails outright fails once per batch."""
    calls: list[int] = []

    class Down(SQLiteStore):
        def write_events(self, events: Any) -> None:
            calls.append(len(events))
            raise StoreError("database is locked")

    down = Down(str(tmp_path / "down.db"))
    down.migrate()  # only events fail: the lost ones are counted
    writer = Writer(down, batch_size=10, interval_s=3600)
    for i in range(25):
        writer.submit(full_event(i))
    writer.flush()
    lost = down.counts("events.failed")
    down.close()
    assert calls == [10, 10, 5] and writer.dropped == 25 and writer.failures == 3
    assert [(metric, key, n) for _, metric, key, n in lost] == [("events.failed", "store_failed", 25)]


def test_tallies_from_many_threads_add_up_to_today_and_hold_nothing_for_the_gc(store: Store) -> None:
    writer = Writer(store, interval_s=60)
    keys = [("chat", "hidden_by_rule"), ("pageviews", "/a"), ("pageviews", "/" + "b" * 3)]

    def work() -> None:
        for i in range(3000):
            writer.tally(*keys[i % 3])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.tally("pageviews", "/a")
    writer.stop()
    day = today()
    assert sorted(store.counts()) == [(day, "chat", "hidden_by_rule", 4000), (day, "pageviews", "/a", 4001),
                                      (day, "pageviews", "/bbb", 4000)]
    assert writer.pending_counts == 0


def test_a_forked_child_starts_its_own_writer_with_an_empty_queue(store: Store) -> None:
    """The parent's queued events are the parent's to write: a child writing them too would store
    them twice."""
    writer = Writer(store, batch_size=1000, interval_s=60)
    writer.submit(full_event(1))
    writer.tally("pageviews", "/t")
    assert writer.pending == 1 and writer.pending_counts == 1
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return into pytest
        ok = writer.pending == 0 and not writer.running and writer.pending_counts == 0
        writer.submit(full_event(2))
        ok = ok and writer.running and writer.pending == 1
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert writer.pending == 1  # the parent's queue is untouched
    writer.stop()
    assert [e["path"] for e in events(store)] == ["/p/1?q=1"]


def test_the_writer_batch_is_the_stores_own_unless_configured(any_store_url: str, tmp_path: Any) -> None:
    from consentkit.engine import Engine

    from conftest import make_config

    engine = Engine(make_config(tmp_path, storage_url=any_store_url))
    try:  # PostgreSQL pays round trips per transaction, so it takes larger batches
        assert engine.writer.batch_size == (2000 if any_store_url.startswith("postgres") else 500)
    finally:
        engine.close()
    engine = Engine(make_config(tmp_path, storage_url=any_store_url, collection={"batch_size": 64}))
    try:
        assert engine.writer.batch_size == 64
    finally:
        engine.close()


def test_sqlite_stores_nones_and_bools_as_sqlite3_would_and_keeps_the_apps_adapters(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """consentkit registers adapters for None and bool (binding them is otherwise slow): they must
    store NULL and integers, as sqlite3 does without them, and leave an application's own in place."""
    import sqlite3

    store = SQLiteStore(str(tmp_path / "a.db"))
    store.migrate()
    store.write_events([full_event(1), sparse_event()])
    typed = "SELECT typeof(is_bot), is_bot, typeof(truncated), truncated, typeof(utm_source) FROM ck_events ORDER BY id"
    assert store.query(typed) == [("integer", 1, "integer", 0, "text"), ("null", None, "integer", 0, "null")]
    store.close()

    def theirs(flag: bool) -> str:
        return "yes" if flag else "no"

    monkeypatch.setitem(sqlite3.adapters, (bool, sqlite3.PrepareProtocol), theirs)
    SQLiteStore(str(tmp_path / "b.db")).close()
    assert sqlite3.adapters[(bool, sqlite3.PrepareProtocol)] is theirs


def test_an_event_the_writer_makes_is_stored_and_one_it_cannot_make_is_dropped_alone(store: Store) -> None:
    """Page views reach the queue as `(make, *args)`, made by the writer thread: one that fails to
    be made is counted as dropped, and neither the batch nor the thread is lost with it."""
    writer = Writer(store, batch_size=10, interval_s=60)

    def make(i: int) -> dict[str, Any]:
        if i == 2:
            raise ValueError("no such event")
        return full_event(i)

    for i in range(4):
        assert writer.submit((make, i))
    writer.submit(full_event(7))
    writer.flush()
    assert [e["path"] for e in events(store)] == ["/p/0?q=1", "/p/1?q=1", "/p/3?q=1", "/p/7?q=1"]
    assert (writer.written, writer.dropped, writer.failures) == (4, 1, 1)
    writer.stop()
