"""The checks `audit` runs, each over the store in bounded pages (constant memory at any size)."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from consentkit.console.access_log import AccessEntry, entries
from consentkit.console.access_log import verify as verify_access_log
from consentkit.ledger import GENESIS, LedgerRecord, UnreadableRecord, verify
from consentkit.review.findings import FindingLog
from consentkit.review.queries import chunks, in_list, iso
from consentkit.review.retention import FIELD_GROUP_COLUMNS, purge
from consentkit.review.subject import Tombstone
from consentkit.storage.base import Store

Progress = Callable[[int], None]
"""Called with the number of events just checked."""


@dataclass(frozen=True, slots=True)
class ConsentRules:
    """What the configuration says about categories, as the checks need it."""

    field_categories: Mapping[str, str]
    """Field group → the category that owns it (`collection.fields`)."""
    required: frozenset[str]
    default_granted: frozenset[str]
    """Categories in effect without a choice (the required ones added)."""
    retention_days: Mapping[str, int]


_GROUPS = tuple(FIELD_GROUP_COLUMNS)
_FLAGS = ", ".join(
    "CASE WHEN " + " OR ".join(f"e.{c} IS NOT NULL" for c in cols) + " THEN 1 ELSE 0 END"
    for cols in FIELD_GROUP_COLUMNS.values()
)
# A page of events in time order; `ts >= ?` leads the condition so that both engines start at that
# point of the ts index. The ledger records of the page's consent ids are read apart, by their index,
# and matched in Python: as a correlated subquery, PostgreSQL's planner costs the page so high that it
# compiles it (JIT) anew for every page, which takes longer than running it.
_EVENTS_SQL = (
    f"SELECT e.id, e.ts, e.consent_id, e.policy_version, e.basis, {_FLAGS} FROM ck_events e "
    "WHERE {where} ORDER BY e.ts, e.id LIMIT {limit}"
)


class Record(NamedTuple):
    ts: float
    seq: int
    allows: frozenset[str]
    """What it granted, and the required categories."""
    policy_version: str


def check_events(store: Store, rules: ConsentRules, log: FindingLog, progress: Progress, batch: int = 5000) -> int:
    """The consent and categories checks, in one pass over the events in time order; returns how
    many events were read."""
    untimed = store.query("SELECT COUNT(*) FROM ck_events WHERE ts IS NULL")[0][0] or 0
    if untimed:
        log.add("consent", "events without a time", "no ledger record can be in effect for them", int(untimed))
    last: tuple[float, int] | None = None
    seen = 0
    while True:
        if last is None:
            rows = store.query(_EVENTS_SQL.format(where="e.ts IS NOT NULL", limit=int(batch)))
        else:
            rows = store.query(_EVENTS_SQL.format(where="e.ts >= ? AND (e.ts > ? OR e.id > ?)", limit=int(batch)),
                               [last[0], last[0], last[1]])
        records = records_of(store, {str(r[2]) for r in rows if r[2] is not None}, rules.required)
        for row in rows:
            consent_id = row[2]
            record = in_effect(records.get(str(consent_id), []), float(row[1])) if consent_id is not None else None
            _check_event(row, record, rules, log)
        seen += len(rows)
        log.saw("consent", len(rows))
        log.saw("categories", len(rows))
        progress(len(rows))
        if len(rows) < batch:
            return seen + int(untimed)
        last = (float(rows[-1][1]), int(rows[-1][0]))


def records_of(store: Store, consent_ids: set[str], required: frozenset[str]) -> dict[str, list[Record]]:
    """The ledger records of these consent ids, each id's in (ts, seq) order."""
    out: dict[str, list[Record]] = {}
    for part in chunks(sorted(consent_ids)):
        for cid, ts, seq, granted, policy in store.query(
            f"SELECT consent_id, ts, seq, granted, policy_version FROM ck_ledger "
            f"WHERE consent_id IN ({in_list(len(part))})", part
        ):
            out.setdefault(str(cid), []).append(Record(float(ts), int(seq), _granted(granted) | required, str(policy)))
    for records in out.values():
        records.sort(key=lambda r: (r.ts, r.seq))
    return out


def _granted(stored: Any) -> frozenset[str]:
    """A record's categories as stored (a JSON list); none when unreadable, which the ledger check
    reports."""
    try:
        names = json.loads(stored)
    except (ValueError, TypeError):
        return frozenset()
    return frozenset(n for n in names if isinstance(n, str)) if isinstance(names, list) else frozenset()


def in_effect(records: list[Record], ts: float) -> Record | None:
    """The latest of `records` (in (ts, seq) order) at or before `ts`."""
    i = bisect_right([r.ts for r in records], ts)
    return records[i - 1] if i else None


def _check_event(row: tuple[Any, ...], record: Record | None, rules: ConsentRules, log: FindingLog) -> None:
    event_id, ts, consent_id, policy, basis = row[:5]
    groups = [g for g, flag in zip(_GROUPS, row[5:], strict=True) if flag]
    what = f"event {event_id}"
    if consent_id is None:
        allowed, source = rules.default_granted, "no choice, so only the default categories"
    elif record is None:
        log.add("consent", what, f"consent id {consent_id} has no ledger record at or before {iso(float(ts))}")
        return
    else:
        allowed, source = record.allows, f"ledger record {record.seq}"
        if record.policy_version != policy:
            log.add("consent", what, f"policy version {policy!r}, but ledger record {record.seq} in effect at "
                                     f"{iso(float(ts))} is of version {record.policy_version!r}")
    in_effect = frozenset(basis.split(",")) if basis else None
    for group in groups:
        category = rules.field_categories.get(group)
        if category is None:
            log.add("categories", what, f"field group {group!r} is stored, but the configuration collects it "
                                        "under no category")
        elif category not in allowed:
            log.add("categories", what, f"field group {group!r} belongs to {category!r}, not granted by {source}")
        elif in_effect is None:
            log.add("categories", what, f"field group {group!r} is stored, but the event records no categories "
                                        "in effect (basis)")
        elif category not in in_effect:
            log.add("categories", what, f"field group {group!r} belongs to {category!r}, which was not in effect "
                                        f"when it was collected (denied by a signal): basis {basis!r}")


# -- erasure ----------------------------------------------------------------------------------------
ErasureCheck = Callable[[Store, Tombstone, FindingLog], None]


def erased_events(store: Store, stone: Tombstone, log: FindingLog) -> None:
    """Events of the erased visitor or consent ids from before the erasure."""
    found = 0
    for column, ids in (("visitor_id", [stone.subject]), ("consent_id", sorted({stone.subject, *stone.consent_ids}))):
        for part in chunks(ids):
            cond, args = store.subject_match(column, part)
            found += int(store.query(f"SELECT COUNT(*) FROM ck_events WHERE {cond} AND ts <= ?",
                                     [*args, stone.erased_at])[0][0] or 0)
    if found:
        log.add("erasure", f"tombstone {stone.id}", f"{found} event(s) of erased subject {stone.subject} from "
                                                    f"before its erasure at {iso(stone.erased_at)} remain", found)


def erased_ledger_fields(store: Store, stone: Tombstone, log: FindingLog) -> None:
    """Personal fields (ip, ua_hash) of the erased consent ids' records from before the erasure."""
    found = 0
    for part in chunks(sorted({stone.subject, *stone.consent_ids})):
        found += int(store.query(
            f"SELECT COUNT(*) FROM ck_ledger WHERE consent_id IN ({in_list(len(part))}) AND ts <= ? "
            "AND (ip IS NOT NULL OR ua_hash IS NOT NULL)", [*part, stone.erased_at])[0][0] or 0)
    if found:
        log.add("erasure", f"tombstone {stone.id}", f"{found} ledger record(s) of erased subject {stone.subject} "
                                                    "still hold personal fields (ip, ua_hash)", found)


ERASURE_CHECKS: list[ErasureCheck] = [erased_events, erased_ledger_fields]
"""What is checked for each tombstone; derived data kept per subject adds its own check here."""


def check_erasures(store: Store, log: FindingLog, batch: int = 500) -> None:
    last = 0
    while True:
        rows = store.query(
            "SELECT id, subject, erased_at, events_removed, ledger_redacted, consent_ids FROM ck_tombstones "
            f"WHERE id > ? ORDER BY id LIMIT {int(batch)}", [last])
        for r in rows:
            try:
                consent_ids = tuple(str(c) for c in json.loads(r[5]))
            except (ValueError, TypeError):
                log.add("erasure", f"tombstone {r[0]}", "its consent ids are not readable (not a JSON list)")
                consent_ids = ()
            stone = Tombstone(int(r[0]), str(r[1]), float(r[2]), int(r[3]), int(r[4]), consent_ids)
            for check in ERASURE_CHECKS:
                check(store, stone, log)
            log.saw("erasure")
        if len(rows) < batch:
            return
        last = int(rows[-1][0])


# -- retention --------------------------------------------------------------------------------------
def check_retention(store: Store, rules: ConsentRules, log: FindingLog, now: float) -> None:
    """What `consentkit purge` would remove at `now` (counted only)."""
    report = purge(store, rules.retention_days, rules.field_categories, now=now, dry_run=True)
    log.saw("retention", int(store.query("SELECT COUNT(*) FROM ck_events")[0][0] or 0))
    if report.events_deleted:
        log.add("retention", "events", f"{report.events_deleted} event(s) from before "
                                       f"{iso(report.delete_before)}, beyond the longest retention",
                report.events_deleted)
    for category, n in sorted(report.events_redacted.items()):
        if n:
            columns = ", ".join(report.redacted_columns[category])
            log.add("retention", f"category {category}", f"{n} event(s) from before "
                                                         f"{iso(report.redact_before[category])} still hold "
                                                         f"{columns}", n)
    if report.counts_deleted:
        log.add("retention", "counters", f"{report.counts_deleted} daily counter row(s) from before "
                                         f"{iso(report.delete_before)}", report.counts_deleted)


# -- the ledger -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


class _Watch:
    """Passes records through to `verify`, noting the last one and the one at `seq`."""

    def __init__(self, records: Iterable[LedgerRecord], seq: int) -> None:
        self.records, self.seq = records, seq
        self.last: LedgerRecord | None = None
        self.at_seq: LedgerRecord | None = None

    def __iter__(self) -> Iterator[LedgerRecord]:
        for r in self.records:
            self.last = r
            if r.seq == self.seq:
                self.at_seq = r
            yield r


def check_ledger(store: Store, log: FindingLog, previous: Head | None) -> Head:
    """Verify the chain, and that it still holds the head the last audit recorded; the head now."""
    watch = _Watch(store.ledger(), previous.seq if previous else 0)
    records = iter(watch)
    verdict = verify(records)
    try:
        for _ in records:  # past a bad record: the head is still the chain's last record
            pass
    except UnreadableRecord:
        pass
    log.saw("ledger", verdict.checked)
    if not verdict.ok:
        log.add("ledger", f"ledger record {verdict.bad_seq}", verdict.reason)
    head = Head(watch.last.seq, watch.last.hash) if watch.last is not None else Head(0, GENESIS)
    if previous is not None and previous.seq > 0:
        if head.seq < previous.seq:
            log.add("ledger", f"ledger record {previous.seq}",
                    f"the chain ends at record {head.seq}, but the last audit saw it end at {previous.seq}: "
                    "records were removed from its end")
        elif watch.at_seq is None or watch.at_seq.hash != previous.hash:
            log.add("ledger", f"ledger record {previous.seq}",
                    "the record the last audit saw as the chain's end is missing or has another hash: the chain "
                    "was rewritten")
    if store.dialect == "postgres":
        row = store.query("SELECT seq, hash FROM ck_ledger_head WHERE id = 1")
        kept = Head(int(row[0][0]), str(row[0][1])) if row else None
        if kept is not None and kept != head:
            log.add("ledger", "ledger head", f"the stored head (record {kept.seq}) is not the chain's last record "
                                             f"({head.seq})")
    return head


# -- the console's access log ----------------------------------------------------------------------
def check_access_log(store: Store, log: FindingLog, previous: Head | None) -> Head:
    """Verify the access log's chain, and that it still holds the row the last audit saw as its end;
    its last row now."""
    last: Head | None = None
    seen_then: str | None = None
    expected = previous.seq if previous is not None else 0

    def watched() -> Iterator[AccessEntry]:
        nonlocal last, seen_then
        for e in entries(store):
            last = Head(e.seq, e.hash)
            if e.seq == expected:
                seen_then = e.hash
            yield e

    rows = watched()
    verdict = verify_access_log(rows)
    for _ in rows:  # past a bad row: the end is still the log's last row
        pass
    log.saw("access", verdict.checked)
    if not verdict.ok:
        log.add("access", f"access log row {verdict.bad_seq}", verdict.reason)
    head = last or Head(0, "")
    if previous is not None and previous.seq > 0:
        if head.seq < previous.seq:
            log.add("access", f"access log row {previous.seq}",
                    f"the log ends at row {head.seq}, but the last audit saw it end at {previous.seq}: rows were "
                    "removed from its end")
        elif seen_then != previous.hash:
            log.add("access", f"access log row {previous.seq}",
                    "the row the last audit saw as the log's end is missing or has another hash: the log was "
                    "rewritten")
    return head


# -- undeclared cookies -----------------------------------------------------------------------------
UNDECLARED = ("cookie.undeclared.reported", "cookie.undeclared.blocked")


def check_cookies(
    store: Store, log: FindingLog, since_day: str, counted: Mapping[str, int]
) -> tuple[str, dict[str, int]]:
    """Undeclared cookies counted since the last audit: days after `since_day`, plus what its count
    grew by on `since_day` itself (`counted`: metric|name → count as the last audit read it).
    Returns the latest day read and its counts, for the next audit."""
    rows = store.query(
        f"SELECT day, metric, key, count FROM ck_counts WHERE metric IN ({in_list(len(UNDECLARED))}) AND day >= ? "
        "ORDER BY day, metric, key", [*UNDECLARED, since_day])
    new: dict[tuple[str, str], int] = {}
    latest = since_day
    for day, metric, name, count in rows:
        latest = max(latest, str(day))
        n = int(count) - (counted.get(f"{metric}|{name}", 0) if day == since_day else 0)
        if n > 0:
            new[(str(metric), str(name))] = new.get((str(metric), str(name)), 0) + n
    log.saw("cookies", len(new))
    for (metric, name), n in sorted(new.items()):
        what = "let through" if metric.endswith("reported") else "removed"
        log.add("cookies", f"cookie {name}", f"undeclared: set {n} time(s) since the last audit ({what})")
    day_counts = {f"{m}|{k}": int(c) for d, m, k, c in rows if d == latest}
    return latest, day_counts
