"""The console's access log: who looked at or acted on what, when and from where.

Append-only and hash-chained like the ledger: each row's hash covers the previous row's hash and the
row itself, so an edited, removed or inserted row breaks the chain at that point (`verify`, and
`consentkit audit`'s "access" check). Appends are serialised (SQLite's write lock; PostgreSQL: the
table is locked for writers for the append's transaction).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from consentkit.ledger import GENESIS
from consentkit.storage.base import Store, storable

if TYPE_CHECKING:
    from consentkit.console.page import User

_COLS = "seq, ts, user_name, role, address, action, subject, detail, prev_hash, hash"
MAX_TEXT = 256
MAX_DETAIL_ITEMS = 32
MAX_DETAIL_VALUE = 2000


@dataclass(frozen=True, slots=True)
class AccessEntry:
    seq: int
    ts: float
    user: str
    role: str
    address: str
    action: str
    subject: str
    detail: str
    """A JSON object of strings, as written."""
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in self.__slots__}


def entry_hash(prev_hash: str, seq: int, e: AccessEntry) -> str:
    core = [seq, repr(float(e.ts)), e.user, e.role, e.address, e.action, e.subject, e.detail]
    return hashlib.sha256((prev_hash + "\n" + json.dumps(core, separators=(",", ":"))).encode()).hexdigest()


def _text(value: str, most: int = MAX_TEXT) -> str:
    return storable(value[:most])


def _detail(detail: Mapping[str, str] | None) -> str:
    items = sorted((detail or {}).items())[:MAX_DETAIL_ITEMS]
    return json.dumps({_text(str(k), 64): _text(str(v), MAX_DETAIL_VALUE) for k, v in items},
                      separators=(",", ":"), sort_keys=True)


class StoreAccessLog:
    """The `consentkit.console.page.AccessLog` a page records into: rows in `ck_access_log`."""

    def __init__(self, store: Store, now: float) -> None:
        self.store, self.now = store, now

    def record(self, user: User, action: str, *, subject: str = "", detail: Mapping[str, str] | None = None) -> None:
        append(self.store, self.now, user.name, user.role, user.address, action, subject, detail)


def append(store: Store, ts: float, user: str, role: str, address: str, action: str, subject: str = "",
           detail: Mapping[str, str] | None = None) -> AccessEntry:
    """Chain and store one row; returns once it is committed."""
    with store.connection() as conn:
        cur = conn.cursor()
        if store.dialect == "postgres":
            cur.execute("LOCK TABLE ck_access_log IN SHARE ROW EXCLUSIVE MODE")  # one appender at a time
        cur.execute("SELECT seq, hash FROM ck_access_log ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
        draft = AccessEntry(seq, float(ts), _text(user), _text(role), _text(address), _text(action),
                            _text(subject), _detail(detail), prev, "")
        entry = replace(draft, hash=entry_hash(prev, seq, draft))
        cur.execute(store._q(f"INSERT INTO ck_access_log ({_COLS}) VALUES ({', '.join('?' * 10)})"),
                    [entry.seq, entry.ts, entry.user, entry.role, entry.address, entry.action, entry.subject,
                     entry.detail, entry.prev_hash, entry.hash])
        return entry


def _entry(r: tuple[Any, ...]) -> AccessEntry:
    return AccessEntry(int(r[0]), float(r[1]), *(str(v) for v in r[2:]))


def entries(store: Store, *, after: int = 0, batch: int = 1000) -> Iterator[AccessEntry]:
    """Every row in chain order, read in bounded pages."""
    last = after
    while True:
        rows = store.query(f"SELECT {_COLS} FROM ck_access_log WHERE seq > ? ORDER BY seq LIMIT {int(batch)}", [last])
        yield from map(_entry, rows)
        if len(rows) < batch:
            return
        last = int(rows[-1][0])


def recent(store: Store, *, limit: int = 100, before: int | None = None, user: str = "",
           subject: str = "") -> list[AccessEntry]:
    """The latest rows, newest first, optionally of one user or about one subject (for the page)."""
    where, args = ["1 = 1"], list[Any]()
    if before is not None:
        where.append("seq < ?")
        args.append(before)
    if user:
        where.append("user_name = ?")
        args.append(user)
    if subject:
        where.append("subject = ?")
        args.append(subject)
    sql = f"SELECT {_COLS} FROM ck_access_log WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT {int(limit)}"
    return [_entry(r) for r in store.query(sql, args)]


@dataclass(frozen=True, slots=True)
class AccessVerdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} access log rows verified"
        return f"BAD: access log row {self.bad_seq}: {self.reason} ({self.checked} rows checked before it)"


def verify(rows: Iterable[AccessEntry]) -> AccessVerdict:
    """Walk the chain in order and name the first row that does not fit."""
    prev, expected, n = GENESIS, 1, 0
    for e in rows:
        if e.seq != expected:
            return AccessVerdict(False, n, e.seq, f"sequence gap: expected {expected}")
        if e.prev_hash != prev:
            return AccessVerdict(False, n, e.seq, "does not link to the row before it")
        if entry_hash(prev, e.seq, e) != e.hash:
            return AccessVerdict(False, n, e.seq, "content does not match its hash")
        prev, expected, n = e.hash, e.seq + 1, n + 1
    return AccessVerdict(True, n)
