"""Data-subject requests: export everything about a visitor, or erase it leaving a provable tombstone.

A subject is a visitor id or a consent id. Events link the two: the subject's events are those with
its id in either column, and the ids found on those events pull in further events (and, for consent
ids, ledger records) until nothing new turns up. Export and erasure resolve a subject the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consentkit.ledger import LedgerRecord
from consentkit.review.queries import chunks, event_for_export, event_from_row, in_list, iso
from consentkit.storage.base import Store
from consentkit.storage.rollups import subtract_events
from consentkit.storage.schema import EVENT_FIELDS

_MAX_ROUNDS = 32  # link rounds; each one only follows ids that appeared on the subject's own events


@dataclass(frozen=True, slots=True)
class Tombstone:
    """The record that a subject's data was erased, kept so the erasure itself can be proven."""

    id: int
    subject: str
    erased_at: float
    """Unix seconds (UTC)."""
    events_removed: int
    ledger_redacted: int
    """Ledger records whose personal fields (ip, ua_hash) were set to NULL."""
    consent_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with `erased_at` as an ISO-8601 UTC string."""
        return {
            "id": self.id, "subject": self.subject, "erased_at": iso(self.erased_at),
            "events_removed": self.events_removed, "ledger_redacted": self.ledger_redacted,
            "consent_ids": list(self.consent_ids),
        }


@dataclass(frozen=True, slots=True)
class SubjectIds:
    visitor_ids: tuple[str, ...]
    consent_ids: tuple[str, ...]


def _execute(store: Store, cur: Any, sql: str, args: Sequence[Any] = ()) -> Any:
    cur.execute(store._q(sql), list(args))
    return cur


def linked_ids(store: Store, cur: Any, subject: str) -> SubjectIds:
    """The visitor and consent ids stored for `subject`, each listed under the column it was found in.

    The subject may be either kind, so it is sought in both columns; the ids on its events are
    followed in turn. It is a consent id also when only the ledger has it (a choice, no event).
    """
    visitors: set[str] = set()
    consents: set[str] = set()
    seek_v, seek_c = {subject}, {subject}
    sought_v: set[str] = set()
    sought_c: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        found_v: set[str] = set()
        found_c: set[str] = set()
        for column, ids in (("visitor_id", sorted(seek_v)), ("consent_id", sorted(seek_c))):
            for part in chunks(ids):
                cond, args = store.subject_match(column, part)
                rows = _execute(store, cur, f"SELECT DISTINCT visitor_id, consent_id FROM ck_events WHERE {cond}", args)
                for v, c in rows.fetchall():
                    if v is not None:
                        found_v.add(str(v))
                    if c is not None:
                        found_c.add(str(c))
        sought_v |= seek_v
        sought_c |= seek_c
        visitors |= found_v
        consents |= found_c
        seek_v, seek_c = found_v - sought_v, found_c - sought_c
        if not seek_v and not seek_c:
            break
    if subject not in consents and _execute(
        store, cur, "SELECT 1 FROM ck_ledger WHERE consent_id = ? LIMIT 1", [subject]
    ).fetchone():
        consents.add(subject)
    return SubjectIds(tuple(sorted(visitors)), tuple(sorted(consents)))


def _subject_event_clause(store: Store, ids: SubjectIds) -> list[tuple[str, list[Any]]]:
    """(WHERE clause, args) pairs that together select every event of the subject."""
    out = [store.subject_match("visitor_id", p) for p in chunks(ids.visitor_ids)]
    out += [store.subject_match("consent_id", p) for p in chunks(ids.consent_ids)]
    return out


def tombstones(store: Store, ids: Sequence[str] | None = None) -> list[Tombstone]:
    """Tombstones, oldest first; with `ids`, those whose subject or consent ids include one of them."""
    sql = "SELECT id, subject, erased_at, events_removed, ledger_redacted, consent_ids FROM ck_tombstones"
    args: list[Any] = []
    if ids is not None:
        if not ids:
            return []
        # LIKE only narrows the search; the JSON is checked exactly below.
        sql += f" WHERE subject IN ({in_list(len(ids))}) OR " + " OR ".join(["consent_ids LIKE ?"] * len(ids))
        args = [*ids, *(f'%"{i}"%' for i in ids)]
    rows = store.query(sql + " ORDER BY id", args)
    out = [
        Tombstone(int(r[0]), str(r[1]), float(r[2]), int(r[3]), int(r[4]), tuple(json.loads(r[5]))) for r in rows
    ]
    if ids is not None:
        wanted = set(ids)
        out = [t for t in out if t.subject in wanted or wanted.intersection(t.consent_ids)]
    return out


def export_subject(store: Store, subject: str) -> dict[str, Any]:
    """Everything stored about a subject, as one JSON-serialisable document.

    Keys: subject, generated_at (ISO-8601 UTC), visitor_ids and consent_ids (the ids of each kind
    stored for the subject, `linked_ids`), events (oldest first, ts as ISO-8601), ledger (the
    records of the subject's consent ids, ts as ISO-8601) and tombstones (earlier erasures of the
    subject or these ids).
    """
    subject = _check_subject(subject)
    generated_at = time.time()
    with store.connection(write=False) as conn:
        cur = conn.cursor()
        ids = linked_ids(store, cur, subject)
        rows: dict[int, tuple[Any, ...]] = {}
        for clause, args in _subject_event_clause(store, ids):
            for r in _execute(store, cur, f"SELECT id, {', '.join(EVENT_FIELDS)} FROM ck_events WHERE {clause}",
                              args).fetchall():
                rows[int(r[0])] = tuple(r)
    ordered = sorted(rows.values(), key=lambda r: (r[1] is None, r[1] or 0.0, r[0]))
    records = list(store.ledger(consent_ids=list(ids.consent_ids)))
    return {
        "subject": subject,
        "generated_at": iso(generated_at),
        "visitor_ids": list(ids.visitor_ids),
        "consent_ids": list(ids.consent_ids),
        "events": [event_for_export(event_from_row(r[1:])) for r in ordered],
        "ledger": [_record_for_export(rec) for rec in records],
        "tombstones": [t.as_dict() for t in tombstones(store, [subject, *ids.visitor_ids, *ids.consent_ids])],
    }


def _record_for_export(rec: LedgerRecord) -> dict[str, Any]:
    d = rec.as_dict()
    d["ts"] = iso(rec.ts)
    d["granted"], d["denied"] = list(rec.granted), list(rec.denied)
    return d


def erase_subject(store: Store, subject: str) -> Tombstone:
    """Erase a subject in one transaction and return the tombstone that records it.

    Deletes every event of the subject (taking its page views out of the daily rollups), sets the
    personal fields (ip, ua_hash) of the ledger records of its consent ids to NULL — the chain stays
    verifiable, as a record's hash covers only their digest — and stores a tombstone (subject, time,
    counts, consent ids). Afterwards the subject has only the tombstone and the pseudonymous ledger
    records (choices, times, hashes) left.
    """
    subject = _check_subject(subject)
    with store.connection() as conn:
        cur = conn.cursor()
        ids = linked_ids(store, cur, subject)
        consent_ids = ids.consent_ids
        clauses = _subject_event_clause(store, ids)
        subtract_events(store, cur, clauses)  # rollups keep no trace of the erased page views
        removed = 0
        for clause, args in clauses:
            removed += int(_execute(store, cur, f"DELETE FROM ck_events WHERE {clause}", args).rowcount or 0)
        redacted = 0
        for part in chunks(ids.consent_ids):
            redacted += int(
                _execute(
                    store, cur,
                    f"UPDATE ck_ledger SET ip = NULL, ua_hash = NULL WHERE consent_id IN ({in_list(len(part))}) "
                    "AND (ip IS NOT NULL OR ua_hash IS NOT NULL)",
                    part,
                ).rowcount
                or 0
            )
        erased_at = time.time()
        row = _execute(
            store, cur,
            "INSERT INTO ck_tombstones (subject, erased_at, events_removed, ledger_redacted, consent_ids) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [subject, erased_at, removed, redacted, json.dumps(list(consent_ids))],
        ).fetchone()
        return Tombstone(int(row[0]), subject, erased_at, removed, redacted, consent_ids)


def _check_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject.strip():
        raise ValueError("subject: a visitor id or consent id is required")
    return subject.strip()
