"""Reading the collection log: events with filters, and visits derived from them.

The SQL is shared by both engines (``?`` placeholders, converted by the store). Timestamps stay unix
seconds (float, UTC) in the Python API; `iso` turns them into the ISO-8601 strings used by exports
and the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from consentkit.storage.base import Store
from consentkit.storage.schema import EVENT_FIELDS

PAGE_KINDS = ("pageview", "pixel")
"""Event kinds that are a page view (a beacon reports on a page already counted)."""

_BOOL = tuple(i for i, f in enumerate(EVENT_FIELDS) if f in {"is_bot", "truncated"})
_SELECT = ", ".join(EVENT_FIELDS)
_IN_CHUNK = 400  # ids per IN (...) list: far below every engine's parameter limit


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO-8601 UTC with microseconds and a `Z`: ``2024-05-01T12:00:00.000000Z``."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def in_list(n: int) -> str:
    """``?, ?, ?`` for an IN list of n values."""
    return ", ".join("?" * n)


def chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def event_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row (EVENT_FIELDS order) as an event dict; SQLite's 0/1 booleans become bool."""
    values = list(row)
    for i in _BOOL:
        if values[i] is not None:
            values[i] = bool(values[i])
    return dict(zip(EVENT_FIELDS, values, strict=True))


def event_for_export(event: dict[str, Any]) -> dict[str, Any]:
    """The event with `ts` as an ISO-8601 UTC string (what exports and the CLI print)."""
    out = dict(event)
    out["ts"] = iso(event.get("ts"))
    return out


def _filters(
    store: Store, visitor_id: str | None, consent_id: str | None, path: str | None, since: float | None,
    until: float | None, kind: str | None,
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, subject in (("visitor_id", visitor_id), ("consent_id", consent_id)):
        if subject is not None:
            cond, cond_args = store.subject_match(column, [subject])
            where.append(cond)
            args += cond_args
    if path is not None:
        if path.endswith("*"):
            prefix = path[:-1]
            where.append("substr(path, 1, ?) = ?")  # not LIKE: its case rules differ between engines
            args += [len(prefix), prefix]
        else:
            where.append("path = ?")
            args.append(path)
    if since is not None:
        where.append("ts >= ?")
        args.append(float(since))
    if until is not None:
        where.append("ts < ?")
        args.append(float(until))
    if kind is not None:
        where.append("kind = ?")
        args.append(kind)
    return where, args


def iter_events(
    store: Store,
    *,
    visitor_id: str | None = None,
    consent_id: str | None = None,
    path: str | None = None,
    since: float | None = None,
    until: float | None = None,
    kind: str | None = None,
    limit: int | None = None,
    batch: int = 5000,
) -> Iterator[dict[str, Any]]:
    """Like `events`, but reads `batch` rows at a time, so any number of events can be streamed."""
    where, args = _filters(store, visitor_id, consent_id, path, since, until, kind)
    left = limit
    last: tuple[float, int] | None = None
    while left is None or left > 0:
        page = batch if left is None else min(batch, left)
        rows = _page_rows(store, where, args, last, page)
        for r in rows:
            yield event_from_row(r[1:])
        if len(rows) < page:
            return
        last = (float(rows[-1][1]), int(rows[-1][0]))
        if left is not None:
            left -= len(rows)


def _page_rows(
    store: Store, where: list[str], args: list[Any], after: tuple[float, int] | None, n: int
) -> list[tuple[Any, ...]]:
    """Up to n rows (id, then EVENT_FIELDS) in (ts, id) order after the (ts, id) `after`."""
    conds, params = [*where, "ts IS NOT NULL"], list(args)
    if after is not None:
        conds.append("(ts > ? OR (ts = ? AND id > ?))")
        params += [after[0], after[0], after[1]]
    sql = f"SELECT id, {_SELECT} FROM ck_events WHERE {' AND '.join(conds)} ORDER BY ts, id LIMIT {int(n)}"
    return store.query(sql, params)


def event_page(
    store: Store,
    *,
    after: tuple[float, int] | None = None,
    size: int = 50,
    visitor_id: str | None = None,
    consent_id: str | None = None,
    path: str | None = None,
    since: float | None = None,
    until: float | None = None,
    kind: str | None = None,
) -> tuple[list[dict[str, Any]], tuple[float, int] | None]:
    """One page of `events` (same filters, same order) after the position `after`, and the
    position to ask for the next page with (None on the last page). A position is (ts, row id):
    a page costs the same however far into the log it is."""
    where, args = _filters(store, visitor_id, consent_id, path, since, until, kind)
    rows = _page_rows(store, where, args, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    following = (float(rows[-1][1]), int(rows[-1][0])) if more else None
    return [event_from_row(r[1:]) for r in rows], following


def events(
    store: Store,
    *,
    visitor_id: str | None = None,
    consent_id: str | None = None,
    path: str | None = None,
    since: float | None = None,
    until: float | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored events, oldest first, each a dict with exactly the keys of `EVENT_FIELDS`.

    Filters combine with AND. `path` matches exactly, or as a prefix when it ends with ``*``
    (``/blog/*``). `since` (inclusive) and `until` (exclusive) are unix seconds; `ts` in the result
    is unix seconds (float, UTC) too — `iso()` formats it. Fields not collected for an event are None.
    Rows without a timestamp (consentkit never writes one) are left out.
    """
    return list(iter_events(store, visitor_id=visitor_id, consent_id=consent_id, path=path, since=since,
                            until=until, kind=kind, limit=limit))


@dataclass(frozen=True, slots=True)
class Visit:
    """One session: its events grouped by session id."""

    visitor_id: str | None
    session_id: str
    entry_page: str | None
    """Path of the first page view (of the first event when the session has no page view)."""
    exit_page: str | None
    """Path of the last page view."""
    pages: int
    """Number of page views (kinds in `PAGE_KINDS`)."""
    start: float
    """Unix seconds of the session's first event."""
    end: float
    """Unix seconds of the session's last event (beacons included)."""
    duration_s: float
    returning: bool
    """The visitor had a session that started before this one."""

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"], d["end"] = iso(self.start), iso(self.end)
        return d


def visits(
    store: Store,
    *,
    visitor_id: str | None = None,
    consent_id: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int | None = None,
) -> list[Visit]:
    """Sessions that started in [since, until), oldest first, derived from the events by session id.

    `visitor_id` / `consent_id` select the sessions having an event with that id; each selected
    session is then summarised from all its events. Events without a session id (not collected
    without its category) belong to no visit. `returning` looks at the visitor's whole history, not
    only the selected window.
    """
    where, args = _filters(store, visitor_id, consent_id, None, None, None, None)
    where.append("session_id IS NOT NULL AND ts IS NOT NULL")
    having: list[str] = []
    if since is not None:
        having.append("MIN(ts) >= ?")
        args.append(float(since))
    if until is not None:
        having.append("MIN(ts) < ?")
        args.append(float(until))
    sql = f"SELECT session_id FROM ck_events WHERE {' AND '.join(where)} GROUP BY session_id"
    if having:
        sql += " HAVING " + " AND ".join(having)
    sql += " ORDER BY MIN(ts), session_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    session_ids = [str(r[0]) for r in store.query(sql, args)]
    if not session_ids:
        return []

    by_session: dict[str, list[tuple[Any, ...]]] = {s: [] for s in session_ids}
    for part in chunks(session_ids):
        rows = store.query(
            f"SELECT session_id, visitor_id, ts, kind, path FROM ck_events "
            f"WHERE session_id IN ({in_list(len(part))}) AND ts IS NOT NULL ORDER BY session_id, ts, id",
            part,
        )
        for r in rows:
            by_session[str(r[0])].append(r)

    summaries = [_summarise(sid, rows) for sid, rows in by_session.items() if rows]
    first_start = _first_session_starts(store, {v for v, *_ in summaries if v is not None})
    out = [
        Visit(
            visitor_id=vid, session_id=sid, entry_page=entry, exit_page=exit_, pages=pages, start=start, end=end,
            duration_s=round(end - start, 3),
            returning=vid is not None and start > first_start.get(vid, start),
        )
        for vid, sid, entry, exit_, pages, start, end in summaries
    ]
    out.sort(key=lambda v: (v.start, v.session_id))
    return out


def _summarise(
    session_id: str, rows: Sequence[tuple[Any, ...]]
) -> tuple[str | None, str, str | None, str | None, int, float, float]:
    pages = [r for r in rows if r[3] in PAGE_KINDS]
    visitor = next((str(r[1]) for r in rows if r[1] is not None), None)
    entry = pages[0][4] if pages else rows[0][4]
    exit_ = pages[-1][4] if pages else rows[-1][4]
    return visitor, session_id, entry, exit_, len(pages), float(rows[0][2]), float(rows[-1][2])


def _first_session_starts(store: Store, visitor_ids: Iterable[str]) -> dict[str, float]:
    ids = sorted(visitor_ids)
    first: dict[str, float] = {}
    for part in chunks(ids):
        cond, args = store.subject_match("visitor_id", part)
        rows = store.query(
            f"SELECT visitor_id, MIN(ts) FROM ck_events WHERE {cond} AND session_id IS NOT NULL GROUP BY visitor_id",
            args,
        )
        first.update((str(r[0]), float(r[1])) for r in rows)
    return first
