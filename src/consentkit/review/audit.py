"""`audit`: check everything stored against the consent it claims, and record the run.

What it proves and what it cannot is in docs/review.md ("consentkit audit"). In short: it proves
that what the store holds now is consistent with the ledger, the tombstones, the retention periods
and the configuration as they are now, and that the ledger chain was neither edited nor cut short
since the last recorded audit. It cannot see what was never stored, nor a store rewritten
consistently by someone who can write every table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consentkit.review.audit_checks import (
    ConsentRules,
    Head,
    check_access_log,
    check_cookies,
    check_erasures,
    check_events,
    check_ledger,
    check_retention,
)
from consentkit.review.findings import CheckResult, Finding, FindingLog
from consentkit.review.queries import iso
from consentkit.review.retention import retention_settings
from consentkit.storage.base import Store

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig


@dataclass(frozen=True, slots=True)
class AuditRun:
    """A recorded audit (`ck_audit_runs`)."""

    id: int
    started_at: float
    finished_at: float
    ledger_seq: int
    ledger_hash: str
    """The chain's last record as this audit saw it; the next audit checks it is still there."""
    findings: int
    counted_day: str
    counted: dict[str, int]
    """Undeclared-cookie counts of `counted_day` as this audit read them."""
    access_seq: int = 0
    access_hash: str = ""
    """The access log's last row as this audit saw it (0: none, or recorded before audits kept it)."""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": iso(self.started_at), "finished_at": iso(self.finished_at),
                "ledger_seq": self.ledger_seq, "ledger_hash": self.ledger_hash, "findings": self.findings}


@dataclass(frozen=True, slots=True)
class AuditReport:
    started_at: float
    finished_at: float
    events: int
    """Events read."""
    ledger_head: tuple[int, str]
    """(seq, hash) of the chain's last record now: keep it elsewhere to compare later."""
    previous: AuditRun | None
    """The last recorded audit before this one (None: the first)."""
    run_id: int | None
    """This run's id in `ck_audit_runs` (None when not recorded)."""
    checks: tuple[CheckResult, ...]
    findings: tuple[Finding, ...]
    """Listed findings: at most `listed` per check; `CheckResult.findings` counts them all."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def total_findings(self) -> int:
        return sum(c.findings for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times as ISO-8601 UTC."""
        return {
            "ok": self.ok,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "events": self.events,
            "ledger_head": {"seq": self.ledger_head[0], "hash": self.ledger_head[1]},
            "previous": self.previous.as_dict() if self.previous else None,
            "run_id": self.run_id,
            "checks": [c.as_dict() for c in self.checks],
            "findings": [f.as_dict() for f in self.findings],
        }


def consent_rules(config: ConsentConfig) -> ConsentRules:
    default = frozenset(config.default_granted) | config.required
    if config.regions is not None:
        # An event without a choice does not say which regime it was collected under: any regime's
        # defaults may have been in effect (docs/review.md).
        from consentkit.banner.regime import regional_defaults

        for _, in_effect in regional_defaults(config):
            default |= in_effect
    retention_days, field_categories = retention_settings(config)
    return ConsentRules(
        field_categories=field_categories,
        required=config.required,
        default_granted=default,
        retention_days=retention_days,
    )


def audit(
    store: Store,
    config: ConsentConfig,
    *,
    now: float | None = None,
    record: bool = True,
    listed: int = 100,
    retention_grace_days: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Check the store against the consent it claims (see `findings.CHECKS`) and, with `record`,
    store this run so that the next one can tell whether the ledger lost its tail.

    `config` says which category owns each field group, which are required or granted by default,
    and the retention periods. `retention_grace_days` lets what `purge` has not reached yet pass for
    that long. `progress(done, total)` follows the events read. Reads in bounded pages: memory does
    not grow with the store.
    """
    started = time.time()
    now = started if now is None else float(now)
    rules = consent_rules(config)
    previous = last_run(store)
    log = FindingLog(listed=listed)
    total = int(store.query("SELECT COUNT(*) FROM ck_events")[0][0] or 0)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, max(total, done))

    step(0)
    events = check_events(store, rules, log, step)
    check_erasures(store, log)
    check_retention(store, rules, log, now - retention_grace_days * 86400)
    head = check_ledger(store, log, Head(previous.ledger_seq, previous.ledger_hash) if previous else None)
    counted_day, counted = check_cookies(store, log, previous.counted_day if previous else "",
                                         previous.counted if previous else {})
    access_head = check_access_log(store, log, Head(previous.access_seq, previous.access_hash) if previous else None)
    finished = time.time()
    run_id = None
    if record:
        run_id = record_run(store, started, finished, head, sum(log.counts.values()), counted_day, counted,
                            access_head)
    return AuditReport(started, finished, events, (head.seq, head.hash), previous, run_id, log.results(),
                       tuple(log.kept))


def last_run(store: Store) -> AuditRun | None:
    """The latest recorded audit, or None."""
    rows = store.query(
        "SELECT id, started_at, finished_at, ledger_seq, ledger_hash, findings, counted_day, counted, access_seq, "
        "access_hash FROM ck_audit_runs ORDER BY id DESC LIMIT 1")
    if not rows:
        return None
    r = rows[0]
    try:
        counted = {str(k): int(v) for k, v in json.loads(r[7]).items()}
    except (ValueError, TypeError, AttributeError):
        counted = {}
    return AuditRun(int(r[0]), float(r[1]), float(r[2]), int(r[3]), str(r[4]), int(r[5]), str(r[6]), counted,
                    int(r[8]), str(r[9]))


def record_run(store: Store, started: float, finished: float, head: Head, findings: int, counted_day: str,
               counted: dict[str, int], access_head: Head | None = None) -> int:
    access = access_head or Head(0, "")
    with store.connection() as conn:
        cur = conn.cursor()
        cur.execute(
            store._q("INSERT INTO ck_audit_runs (started_at, finished_at, ledger_seq, ledger_hash, findings, "
                     "counted_day, counted, access_seq, access_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
            [started, finished, head.seq, head.hash, findings, counted_day, json.dumps(counted, sort_keys=True),
             access.seq, access.hash],
        )
        return int(cur.fetchone()[0])
