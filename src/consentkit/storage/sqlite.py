"""The embedded default store: stdlib sqlite3 in WAL mode, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from consentkit.storage.base import Store, StoreError


class SQLiteStore(Store):
    dialect = "sqlite"
    ph = "?"

    def __init__(self, path: str) -> None:
        if path == ":memory:":
            # A shared in-memory database, so every thread's connection sees the same data.
            self._target = f"file:consentkit-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._uri = True
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._target, self._uri = path, False
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._keepalive = self._open()  # keeps a shared in-memory database alive

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._target, uri=self._uri, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a consent choice is acknowledged only once its ledger record survives a power cut.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self._target}: {exc}") from exc
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def connection(self, write: bool = True) -> Iterator[Any]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(str(exc)) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _lock_ledger(self, cur: Any) -> tuple[int, str]:
        return self._chain_head(cur)  # BEGIN IMMEDIATE already holds the write lock

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
