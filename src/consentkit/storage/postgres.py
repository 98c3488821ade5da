"""The PostgreSQL store: psycopg 3 with a connection pool, for several app servers sharing one database.

- Connections come from a `psycopg_pool.ConnectionPool` (one per process; a forked child opens its own
  and leaves the parent's connections alone). Each is checked before use, so a restarted server costs
  no failed request; an unreachable server raises `StoreError` after a short timeout instead of hanging.
- Ledger appends are serialised across processes by locking the single `ck_ledger_head` row.
- Migrations take a transaction-level advisory lock, so app servers starting together migrate once.
- `ck_events` is partitioned by month of `ts`; a month's partition is created before its first
  insert, and a DEFAULT partition catches anything else, so an insert never fails for want of one.
- Events are written with COPY. Text with a NUL (a request path with %00), which PostgreSQL cannot
  hold, is refused as `RefusedData`: the writer then stores that event with U+FFFD in its place.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from consentkit.ledger import GENESIS, LedgerRecord
from consentkit.storage.base import RefusedData, Store, StoreError
from consentkit.storage.schema import EVENT_FIELDS, column_type
from consentkit.storage.urls import redact_url

# Keys of the transaction-level advisory locks (any fixed 64-bit numbers unique to consentkit).
SCHEMA_LOCK = 0x636B_0001  # "ck" 1: migrations
PARTITION_LOCK = 0x636B_0002  # "ck" 2: creating event partitions

DEFAULT_PARTITION = "ck_events_default"
_COLS = ", ".join(EVENT_FIELDS)
_COPY_SQL = f"COPY ck_events ({_COLS}) FROM STDIN"
_KINDS: dict[str, type] = {"BOOLEAN": bool, "BIGINT": int, "DOUBLE PRECISION": float}
_CHECKS: tuple[tuple[int, type], ...] = tuple(
    (i, _KINDS[t]) for i, t in enumerate(column_type(f, "postgres") for f in EVENT_FIELDS) if t in _KINDS
)
_TS = EVENT_FIELDS.index("ts")


def month_bounds(ts: float) -> tuple[int, int, float, float]:
    """(year, month, start, end) of the UTC calendar month containing `ts`, bounds in unix seconds."""
    d = dt.datetime.fromtimestamp(ts, dt.UTC)
    start = dt.datetime(d.year, d.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(d.year + (d.month == 12), d.month % 12 + 1, 1, tzinfo=dt.UTC)
    return d.year, d.month, start.timestamp(), end.timestamp()


def partition_name(year: int, month: int) -> str:
    return f"ck_events_y{year:04d}m{month:02d}"


def _row(event: dict[str, Any]) -> tuple[Any, ...]:
    """One event as a COPY row; a boolean or number of another Python type is coerced to its column's."""
    row = tuple(map(event.get, EVENT_FIELDS))
    for i, kind in _CHECKS:
        v = row[i]
        if v is not None and v.__class__ is not kind:
            return _coerced(row)
    return row


def _coerced(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out = list(row)
    for i, kind in _CHECKS:
        v = out[i]
        if v is not None and v.__class__ is not kind:
            out[i] = kind(v)
    return tuple(out)


class PostgresStore(Store):
    dialect = "postgres"
    ph = "%s"
    default_batch_size = 2000  # each transaction is round trips to the server (benchmarks/writer_throughput.py)

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        connect_timeout: int = 3,
        pool_timeout: float = 5.0,
    ) -> None:
        """Connects once right away, so a wrong URL or an unreachable server fails here, not at the first event.

        `connect_timeout` (seconds, libpq rounds below 2 up to 2) bounds each connection attempt,
        `pool_timeout` how long a caller waits for a pooled connection before `StoreError`.
        """
        self.url = url
        self.safe_url = redact_url(url)
        self.min_size, self.max_size = min_size, max(min_size, max_size)
        self.pool_timeout = pool_timeout
        self._kwargs: dict[str, Any] = {
            "connect_timeout": max(2, int(connect_timeout)),
            "application_name": "consentkit",
            # Notice a silently dropped server instead of waiting on a dead socket forever.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._pid = 0
        self._inherited: list[ConnectionPool[psycopg.Connection[Any]]] = []
        self._pool_lock = threading.Lock()
        self._partition_lock = threading.Lock()
        self._months: set[tuple[int, int]] = set()
        self._ranges: list[tuple[float, float]] = []
        self._closed = False
        try:
            with psycopg.connect(url, **self._kwargs) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {self.safe_url}: {_reason(exc)}") from None

    # -- connections ------------------------------------------------------------------------------
    def _get_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        pool, pid = self._pool, os.getpid()
        if pool is not None and self._pid == pid:
            return pool
        with self._pool_lock:
            if self._closed:
                raise StoreError(f"the store for {self.safe_url} is closed")
            if self._pool is not None and self._pid != pid:
                # A forked child: the parent's connections are the parent's. Closing them here would
                # end the parent's sessions, so they are only kept referenced (never finalised).
                self._inherited.append(self._pool)
                self._pool = None
                if self._finalizer is not None:
                    self._finalizer.detach()
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=self.min_size,
                    max_size=self.max_size,
                    kwargs=self._kwargs,
                    open=True,
                    timeout=self.pool_timeout,
                    check=ConnectionPool.check_connection,
                    name=f"consentkit-{pid}",
                    reconnect_timeout=60.0,
                )
                self._pid = pid
                self._finalizer = weakref.finalize(self, _close_abandoned_pool, self._pool, pid)
                self._finalizer.atexit = False  # at exit the pool's daemon threads simply end
            return self._pool

    @contextmanager
    def connection(self, write: bool = True) -> Iterator[Any]:
        pool = self._get_pool()
        try:
            with pool.connection() as conn:  # commits on success, rolls back on an exception
                conn.read_only = not write
                yield conn
        except PoolTimeout as exc:
            raise StoreError(
                f"no PostgreSQL connection to {self.safe_url} within {self.pool_timeout:g}s "
                f"(server down or all {self.max_size} pooled connections busy): {_reason(exc)}"
            ) from exc
        except psycopg.OperationalError as exc:
            raise StoreError(f"PostgreSQL at {self.safe_url}: {_reason(exc)}") from exc
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            raise RefusedData(f"PostgreSQL: {_reason(exc)}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {_reason(exc)}") from exc

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, None
            if self._finalizer is not None:
                self._finalizer.detach()
        if pool is not None and self._pid == os.getpid():
            pool.close()

    # -- schema, ledger ---------------------------------------------------------------------------
    def _lock_schema(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))

    def _after_migration(self, cur: Any, version: int) -> None:
        if version == 1:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF ck_events DEFAULT")
            cur.execute(
                "INSERT INTO ck_ledger_head (id, seq, hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING", (GENESIS,)
            )

    def _lock_ledger(self, cur: Any) -> tuple[int, str]:
        cur.execute("SELECT seq, hash FROM ck_ledger_head WHERE id = 1 FOR UPDATE")
        row = cur.fetchone()
        if row is None:  # the head row went missing: rebuild it from the chain itself
            seq, head = self._chain_head(cur)
            cur.execute(
                "INSERT INTO ck_ledger_head (id, seq, hash) VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING",
                (seq, head),
            )
            cur.execute("SELECT seq, hash FROM ck_ledger_head WHERE id = 1 FOR UPDATE")
            row = cur.fetchone()
        return int(row[0]), str(row[1])

    def _ledger_head_moved(self, cur: Any, rec: LedgerRecord) -> None:
        cur.execute("UPDATE ck_ledger_head SET seq = %s, hash = %s WHERE id = 1", (rec.seq, rec.hash))

    # -- events -----------------------------------------------------------------------------------
    def write_events(self, events: Sequence[dict[str, Any]]) -> None:
        if not events:
            return
        rows = [_row(e) for e in events]
        self._ensure_partitions(rows)
        with self.connection() as conn, conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
            write = copy.write_row
            for row in rows:
                write(row)

    def _ensure_partitions(self, rows: Sequence[Sequence[Any]]) -> None:
        """Create the monthly partitions these rows need, unless known to exist already."""
        ranges = self._ranges
        lo, hi = ranges[-1] if ranges else (0.0, 0.0)
        missing: dict[tuple[int, int], tuple[float, float]] = {}
        for row in rows:
            ts = row[_TS]
            if ts is None or lo <= ts < hi:
                continue
            if ts != ts or ts in (float("inf"), float("-inf")):
                continue  # NaN or infinite: the DEFAULT partition takes it
            for a, b in ranges:
                if a <= ts < b:
                    lo, hi = a, b
                    break
            else:
                try:
                    year, month, a, b = month_bounds(ts)
                except (OverflowError, OSError, ValueError):
                    continue  # outside the calendar: the DEFAULT partition takes it
                missing[(year, month)] = (a, b)
                lo, hi = a, b
        for (year, month), (a, b) in sorted(missing.items()):
            self.ensure_partition(year, month, a, b)

    def ensure_partition(self, year: int, month: int, start: float, end: float) -> None:
        """Create one month's partition (moving any of its rows out of the DEFAULT partition)."""
        key = (year, month)
        if key in self._months:
            return
        name = partition_name(year, month)
        bounds = f"ts >= {start!r} AND ts < {end!r}"
        with self._partition_lock:
            if key in self._months:
                return
            with self.connection() as conn:
                cur = conn.cursor()
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
                cur.execute("SELECT to_regclass(%s)", (name,))
                row = cur.fetchone()
                if row is None or row[0] is None:
                    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE {bounds})")
                    strays = bool(cur.fetchone()[0])
                    if strays:
                        cur.execute(
                            f"CREATE TEMP TABLE ck_moving ON COMMIT DROP AS "
                            f"SELECT id, {_COLS} FROM {DEFAULT_PARTITION} WHERE {bounds}"
                        )
                        cur.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE {bounds}")
                    cur.execute(
                        f"CREATE TABLE {name} PARTITION OF ck_events FOR VALUES FROM ({start!r}) TO ({end!r})"
                    )
                    if strays:
                        cur.execute(
                            f"INSERT INTO ck_events (id, {_COLS}) OVERRIDING SYSTEM VALUE "
                            f"SELECT id, {_COLS} FROM ck_moving"
                        )
            self._months.add(key)
            self._ranges.append((start, end))

    def partitions(self) -> list[str]:
        """Names of the partitions of ck_events, in name order (the DEFAULT one included)."""
        rows = self.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'ck_events'::regclass ORDER BY c.relname"
        )
        return [str(r[0]) for r in rows]


def _close_abandoned_pool(pool: ConnectionPool[Any], pid: int) -> None:
    """Close the pool of a store that was dropped without `close()`.

    From a thread of its own: the garbage collector may run this on one of the pool's own threads,
    and closing waits for those. Never in a forked child: the connections are the parent's.
    """
    if os.getpid() == pid and not pool.closed:
        threading.Thread(target=pool.close, name="consentkit-pool-close", daemon=True).start()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


__all__ = ["PostgresStore", "month_bounds", "partition_name", "redact_url"]
