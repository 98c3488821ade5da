"""The embedded default store: stdlib sqlite3 in WAL mode, one connection per thread plus one for event batches."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from consentkit.storage.base import RefusedData, Store, StoreError
from consentkit.storage.schema import EVENT_FIELDS, SQLITE_FILE_SUBJECTS

log = logging.getLogger("consentkit.storage")

CHECKPOINT_PAGES = 8000
"""WAL pages (4 KiB) between checkpoints on the events connection: fewer, larger checkpoints let the
many index pages rewritten by successive event batches be copied back once, not once per batch."""


SUBJECT_INDEX_ROWS = 20_000
"""Events between two bulk filings of their visitor and consent ids (schema: `ck_event_subjects`):
larger runs touch each index page fewer times per event; a lookup scans at most this many unfiled
events."""

PAGE_SIZE = 16384
INSERT_SIZES = (500, 100, 20)
"""The rows one INSERT statement takes: a batch is cut greedily into these (those that bind at
most SQLite's parameter limit), and what is left, fewer than 20, is one more statement. A full
default batch is one statement; others take a few, in one transaction. A statement of 500 rows is
slow to prepare and large to keep: batches of every size in between would each prepare, and keep,
their own."""
_INSERT_HEAD = f"INSERT INTO ck_events ({', '.join(EVENT_FIELDS)}) VALUES "
_ONE_ROW = "(" + ", ".join("?" * len(EVENT_FIELDS)) + ")"


_NOTHING: dict[object, None] = {}


def _bind_quickly() -> None:
    """sqlite3 binds None and bool through its adapter registry, and on a miss it looks up
    `__adapt__` and `__conform__` too, in vain; an event holds a dozen such values. Registered, what
    sqlite3 does anyway (None → NULL, bool → integer) is one dict hit and a C call. `setdefault`:
    an adapter the application registered stays its own."""
    sqlite3.adapters.setdefault((type(None), sqlite3.PrepareProtocol), _NOTHING.get)
    sqlite3.adapters.setdefault((bool, sqlite3.PrepareProtocol), int)


class SQLiteStore(Store):
    dialect = "sqlite"
    ph = "?"

    def __init__(self, path: str, *, create: bool = True, read_only: bool = False) -> None:
        """`create`: make the file (and its folders) when missing; otherwise a missing file is a
        `StoreError` naming it. `read_only`: open an existing file for reading only."""
        _bind_quickly()
        self._as_is = read_only or not create  # an existing file is not converted (page size, WAL)
        if path == ":memory:":
            # A shared in-memory database, so every thread's connection sees the same data.
            self._target = f"file:consentkit-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._uri = True
        elif create and not read_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._target, self._uri = path, False
        else:
            file = Path(path).resolve()
            if not file.is_file():
                what = "is a directory, not a database" if file.is_dir() else "does not exist"
                raise StoreError(f"no SQLite database at {file}: it {what}")
            self._target, self._uri = f"{file.as_uri()}?mode={'ro' if read_only else 'rw'}", True
        self._local = threading.local()
        self._all: dict[sqlite3.Connection, threading.RLock] = {}
        """Every open connection, with the lock held while it is used: `close` takes it first, since
        closing a connection another thread is running a statement on crashes the process."""
        self._lock = threading.Lock()
        self._events_conn: sqlite3.Connection | None = None
        self._events_lock = threading.RLock()
        self._filed = 0  # `ck_subject_mark.upto` as last read: the mark is never below it
        self._keepalive = self._open()  # keeps a shared in-memory database alive

    def _open(self, events: bool = False, lock: threading.RLock | None = None) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._target, uri=self._uri, timeout=10.0, isolation_level=None, check_same_thread=False,
                # Every statement the events connection runs stays prepared (INSERT_SIZES among them).
                cached_statements=16 if events else 128,
            )
            # New databases only (a no-op once one exists): event rows are wide and written in runs,
            # and larger pages write them with a quarter of the page frames.
            if not self._as_is:
                conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
                _set_wal(conn)
            if events:
                # Events and counters (written by the background writer) need no fsync per commit: in
                # WAL mode NORMAL can lose the last batches in a power cut, never corrupt the database.
                # The ledger stays durable: its FULL commits sync the WAL, everything before included.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
                conn.execute("PRAGMA cache_size=-8192")  # KiB: bounded, so memory stays flat as the tables grow
            else:
                # FULL: a consent choice is acknowledged only once its ledger record survives a power cut.
                conn.execute("PRAGMA synchronous=FULL")
                # Checkpoints are the events connection's job; these only step in when no writer runs.
                conn.execute(f"PRAGMA wal_autocheckpoint={4 * CHECKPOINT_PAGES}")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self._target}: {exc}") from exc
        with self._lock:
            self._all[conn] = lock or threading.RLock()
        return conn

    @contextmanager
    def connection(self, write: bool = True) -> Iterator[Any]:
        local = self._local
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            local.lock = threading.RLock()
            conn = local.conn = self._open(lock=local.lock)
        with local.lock, self._transaction(conn, write) as c:
            yield c

    @contextmanager
    def events_connection(self) -> Iterator[Any]:
        """One connection for event and counter batches, tuned for throughput (see `_open`)."""
        with self._events_lock, self._transaction(self._events_open(), True) as c:
            yield c

    def _events_open(self) -> sqlite3.Connection:
        """The events connection, opened on first use; the caller holds `_events_lock`."""
        conn = self._events_conn
        if conn is None:
            conn = self._events_conn = self._open(events=True, lock=self._events_lock)
        return conn

    def write_events(self, events: Sequence[dict[str, Any]]) -> None:
        """One multi-row INSERT, in a transaction of its own, for a batch of default size.

        sqlite3 releases the GIL around every call into SQLite, and a thread wanting it back waits
        up to the switch interval (5 ms) while another thread is busy serving pages: a batch that
        makes few calls (not BEGIN, INSERTs, COMMIT) waits far less (writer_throughput.py, last row).
        """
        if not events:
            return
        with self._events_lock:
            conn = self._events_open()
            chunks = _chunks(len(events), conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(EVENT_FIELDS))
            if len(chunks) == 1:
                try:
                    last = _insert(conn.cursor(), events)
                except sqlite3.Error as exc:
                    raise _store_error(exc) from exc
            else:
                with self._transaction(conn, True) as c:
                    cur = c.cursor()
                    start = 0
                    for size in chunks:
                        last = _insert(cur, events[start:start + size])
                        start += size
            # The mark only grows (in any process): while `last` is within reach of the one last
            # read, no filing can be due, and the batch costs no transaction to find that out.
            if last - self._filed >= SUBJECT_INDEX_ROWS:
                try:
                    with self._transaction(conn, True) as c:
                        self._filed = _file_subjects(c.cursor(), last, SUBJECT_INDEX_ROWS)
                except StoreError as exc:
                    # The batch is stored: raising would have the writer count it lost, or write it
                    # again. Lookups scan what is not filed yet; a later batch files it.
                    log.warning("consentkit: filing event subjects failed, to be retried: %s", exc)

    def _after_migration(self, cur: Any, version: int) -> None:
        if version == 2:  # the events a version-1 database already holds are filed at once
            _file_subjects(cur, int(cur.execute("SELECT COALESCE(MAX(id), 0) FROM ck_events").fetchone()[0]), 1)

    def subject_match(self, column: str, ids: Sequence[str]) -> tuple[str, list[Any]]:
        """Filed events come from `ck_event_subjects`, the unfiled tail by its rowid range; the
        `column IN` test is repeated on the row, since the table files both kinds of id together."""
        marks = ", ".join("?" * len(ids))
        return (
            f"{column} IN ({marks}) AND id IN (SELECT event_id FROM ck_event_subjects WHERE subject IN ({marks}) "
            "UNION ALL SELECT id FROM ck_events WHERE id > (SELECT upto FROM ck_subject_mark))",
            [*ids, *ids],
        )

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _store_error(exc) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _lock_ledger(self, cur: Any) -> tuple[int, str]:
        return self._chain_head(cur)  # BEGIN IMMEDIATE already holds the write lock

    def close(self) -> None:
        """Close every connection once no thread is using it; a thread using the store afterwards
        opens a new one."""
        self._local = threading.local()
        with self._lock:
            opened = list(self._all.items())
            self._all.clear()
            self._events_conn = None
        for conn, lock in opened:
            with lock, suppress(sqlite3.Error):
                conn.close()


def _chunks(n: int, most: int) -> list[int]:
    """`n` rows as INSERT_SIZES, largest first, then the rest; none above `most` rows."""
    out: list[int] = []
    for size in INSERT_SIZES:
        if size <= most:
            k, n = divmod(n, size)
            out += [size] * k
    while n > 0:
        out.append(min(n, most))
        n -= out[-1]
    return out


def _insert(cur: sqlite3.Cursor, events: Sequence[dict[str, Any]]) -> int:
    """Insert `events` with one statement; the id of the last."""
    values: list[Any] = []
    add = values.extend
    for e in events:
        add(map(e.get, EVENT_FIELDS))
    cur.execute(_INSERT_HEAD + ", ".join([_ONE_ROW] * len(events)), values)
    return int(cur.lastrowid or 0)


def _store_error(exc: sqlite3.Error) -> StoreError:
    """What the writer does next depends on this: refused data is split off, anything else retried."""
    refused = isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError))
    return (RefusedData if refused else StoreError)(str(exc))


def _file_subjects(cur: Any, last: int, at_least: int) -> int:
    """File the ids of the events after the mark up to event `last`, once at least `at_least` wait;
    the mark as it is then. It is read inside the write transaction, so writers in other processes
    agree on it."""
    mark = int(cur.execute("SELECT upto FROM ck_subject_mark").fetchone()[0])
    if last - mark >= at_least:
        cur.execute(SQLITE_FILE_SUBJECTS, (mark, last))
        cur.execute("UPDATE ck_subject_mark SET upto = ?", (last,))
        return last
    return mark


def _set_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch to WAL; the switch ignores the busy timeout, so processes starting together retry."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))

