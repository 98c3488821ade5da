"""The store interface and the SQL shared by the SQLite and PostgreSQL engines."""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from consentkit.ledger import GENESIS, LedgerDraft, LedgerRecord, UnreadableRecord, seal
from consentkit.storage.schema import EVENT_FIELDS, migrations

_LEDGER_COLS = (
    "seq, ts, consent_id, granted, denied, policy_version, shown_hash, dnt, gpc, source, ip, ua_hash, "
    "pii_digest, prev_hash, hash, regime"
)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with U+FFFD for each NUL and lone surrogate, which no engine stores as text."""
    return _UNSTORABLE.sub("\ufffd", text) if not text.isascii() or "\x00" in text else text


class StoreError(Exception):
    """The database could not do what was asked (down, full, locked too long)."""


class RefusedData(StoreError):
    """The database refused the data itself (a value it cannot hold): the same rows fail again,
    other rows do not."""


REFUSED = (RefusedData, ValueError, TypeError, OverflowError)
"""What a write raises when rows are at fault, not the store: the drivers raise the last three
while converting a value (a lone surrogate, say) before anything reaches the database."""


def _ledger_record(r: Sequence[Any]) -> LedgerRecord:
    """A ledger row as a record; `UnreadableRecord` when a value is not what was written."""
    try:
        granted, denied = json.loads(r[3]), json.loads(r[4])
        if not all(isinstance(c, list) and all(isinstance(k, str) for k in c) for c in (granted, denied)):
            raise ValueError
        return LedgerRecord(
            int(r[0]), float(r[1]), r[2], tuple(granted), tuple(denied), r[5], r[6], bool(r[7]), bool(r[8]), r[9],
            r[10], r[11], r[12], r[13], r[14], r[15],
        )
    except (ValueError, TypeError):
        raise UnreadableRecord(int(r[0]), "stored values are not readable (categories not a JSON list of "
                                          "names, or a time that is not a number)") from None


class Store(ABC):
    """Where consentkit keeps the ledger, events, counters and salts.

    Subclasses provide a connection and the dialect; the SQL is shared. Methods are thread-safe.
    """

    dialect: str = "sqlite"
    ph: str = "?"
    default_batch_size = 500
    """Events per write transaction unless `collection.batch_size` says otherwise."""

    @abstractmethod
    def connection(self, write: bool = True) -> AbstractContextManager[Any]:
        """A DB-API connection in a transaction: committed on success, rolled back on error."""

    def events_connection(self) -> AbstractContextManager[Any]:
        """The transaction events and counters are written in (SQLite relaxes its durability there)."""
        return self.connection()

    @abstractmethod
    def _lock_ledger(self, cur: Any) -> tuple[int, str]:
        """Serialise ledger appends across threads and processes; returns the chain head."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def _q(self, sql: str) -> str:
        return sql if self.ph == "?" else sql.replace("?", self.ph)

    # -- schema -----------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply the migrations not applied yet; returns the schema version."""
        steps = migrations(self.dialect)
        with self.connection() as conn:
            cur = conn.cursor()
            self._lock_schema(cur)  # before the first CREATE: concurrent CREATE IF NOT EXISTS can collide
            cur.execute("CREATE TABLE IF NOT EXISTS ck_schema (version INTEGER NOT NULL)")
            cur.execute("SELECT MAX(version) FROM ck_schema")
            row = cur.fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            for number, statements in enumerate(steps[version:], start=version + 1):
                for sql in statements:
                    cur.execute(sql)
                self._after_migration(cur, number)
                cur.execute(self._q("INSERT INTO ck_schema (version) VALUES (?)"), (number,))
            return len(steps)

    def _lock_schema(self, cur: Any) -> None:  # noqa: B027 - optional hook
        """Keep two processes from migrating at once (PostgreSQL overrides)."""

    def _lock_rollups(self, cur: Any) -> None:  # noqa: B027 - optional hook
        """Serialise rollup builds and erasures across processes (SQLite's write lock already does)."""

    def _after_migration(self, cur: Any, version: int) -> None:  # noqa: B027 - optional hook
        """Dialect-specific extras after a migration step."""

    # -- ledger -----------------------------------------------------------------------------------
    def append_ledger(self, draft: LedgerDraft) -> LedgerRecord:
        """Chain and store one record; returns only once it is committed."""
        with self.connection() as conn:
            cur = conn.cursor()
            seq, prev = self._lock_ledger(cur)
            rec = seal(draft, seq + 1, prev)
            cur.execute(
                self._q(f"INSERT INTO ck_ledger ({_LEDGER_COLS}) VALUES ({', '.join('?' * 16)})"),
                (
                    rec.seq, rec.ts, rec.consent_id, json.dumps(rec.granted), json.dumps(rec.denied),
                    rec.policy_version, rec.shown_hash, rec.dnt, rec.gpc, rec.source, rec.ip, rec.ua_hash,
                    rec.pii_digest, rec.prev_hash, rec.hash, rec.regime,
                ),
            )
            self._ledger_head_moved(cur, rec)
            return rec

    def _ledger_head_moved(self, cur: Any, rec: LedgerRecord) -> None:  # noqa: B027 - optional hook
        """Record the new chain head where the dialect keeps one."""

    def _chain_head(self, cur: Any) -> tuple[int, str]:
        cur.execute("SELECT seq, hash FROM ck_ledger ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def ledger(
        self, consent_ids: Sequence[str] | None = None, batch: int = 1000, after: int = 0
    ) -> Iterator[LedgerRecord]:
        """Ledger records in chain order (optionally only those of some consent ids), from the one
        after number `after`."""
        last = after
        while True:
            sql = f"SELECT {_LEDGER_COLS} FROM ck_ledger WHERE seq > ?"
            args: list[Any] = [last]
            if consent_ids is not None:
                if not consent_ids:
                    return
                sql += f" AND consent_id IN ({', '.join('?' * len(consent_ids))})"
                args += list(consent_ids)
            with self.connection(write=False) as conn:
                cur = conn.cursor()
                cur.execute(self._q(sql + f" ORDER BY seq LIMIT {int(batch)}"), args)
                rows = cur.fetchall()
            for r in rows:
                yield _ledger_record(r)
            if len(rows) < batch:
                return
            last = int(rows[-1][0])

    # -- events and counters ----------------------------------------------------------------------
    def subject_match(self, column: str, ids: Sequence[str]) -> tuple[str, list[Any]]:
        """A WHERE condition on ck_events (unaliased) for `column IN ids`, where column is
        visitor_id or consent_id, phrased so the engine finds those events without a scan."""
        return f"{column} IN ({', '.join('?' * len(ids))})", list(ids)

    def write_events(self, events: Sequence[dict[str, Any]]) -> None:
        if not events:
            return
        cols = ", ".join(EVENT_FIELDS)
        sql = self._q(f"INSERT INTO ck_events ({cols}) VALUES ({', '.join('?' * len(EVENT_FIELDS))})")
        rows = [tuple(map(e.get, EVENT_FIELDS)) for e in events]
        with self.events_connection() as conn:
            conn.cursor().executemany(sql, rows)

    def add_counts(self, counts: dict[tuple[str, str, str], int]) -> None:
        """Add to daily counters keyed by (day, metric, key)."""
        if not counts:
            return
        sql = self._q(
            "INSERT INTO ck_counts (day, metric, key, count) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (day, metric, key) DO UPDATE SET count = ck_counts.count + excluded.count"
        )
        # Keys are request paths (the aggregate counter), which may carry what no engine stores as text.
        rows = [(day, metric, storable(key), n) for (day, metric, key), n in sorted(counts.items())]
        with self.events_connection() as conn:
            conn.cursor().executemany(sql, rows)

    def counts(self, metric_prefix: str = "", since_day: str = "") -> list[tuple[str, str, str, int]]:
        with self.connection(write=False) as conn:
            cur = conn.cursor()
            cur.execute(
                self._q("SELECT day, metric, key, count FROM ck_counts WHERE metric LIKE ? AND day >= ? "
                        "ORDER BY day, metric, key"),
                (metric_prefix + "%", since_day),
            )
            return [(r[0], r[1], r[2], int(r[3])) for r in cur.fetchall()]

    # -- salts for keyed IP hashes (the SaltStore protocol) -----------------------------------------
    def load_salts(self) -> list[tuple[float, bytes]]:
        with self.connection(write=False) as conn:
            cur = conn.cursor()
            cur.execute("SELECT created_at, salt FROM ck_salts")
            return [(float(r[0]), bytes(r[1])) for r in cur.fetchall()]

    def add_salt(self, created_at: float, salt: bytes) -> None:
        with self.connection() as conn:
            conn.cursor().execute(
                self._q("INSERT INTO ck_salts (created_at, salt) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                (created_at, salt),
            )

    def delete_salts_before(self, created_at: float) -> None:
        with self.connection() as conn:
            conn.cursor().execute(self._q("DELETE FROM ck_salts WHERE created_at < ?"), (created_at,))

    # -- helpers ----------------------------------------------------------------------------------
    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection(write=False) as conn:
            cur = conn.cursor()
            cur.execute(self._q(sql), list(args))
            return [tuple(r) for r in cur.fetchall()]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self.connection() as conn:
            cur = conn.cursor()
            cur.execute(self._q(sql), list(args))
            return int(cur.rowcount or 0)


def now() -> float:
    return time.time()
