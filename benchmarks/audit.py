"""`audit` over a large store: its time, and its memory at two sizes (it should not grow with the store).

Run: .venv/bin/python benchmarks/audit.py [events] [postgresql://URL]   (default 10,000,000; SQLite
in a temporary folder, and PostgreSQL too when a URL of an empty database is given)

Events are generated like a busy site's: one consent id per 20 events, each with a ledger record
granting analytics, a visitor id and a session id, browser, OS, device, referrer and language set.
Each audit runs in a child process, so that its peak resident memory is its own; the audit is
first run over a tenth of the events, then over all of them.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from consentkit import ConsentConfig
from consentkit.ledger import GENESIS, LedgerDraft, seal
from consentkit.review import audit
from consentkit.storage import Store, open_store

PER_CONSENT = 20
BATCH = 20_000


LEDGER_COLUMNS = ("seq, ts, consent_id, granted, denied, policy_version, shown_hash, dnt, gpc, source, ip, ua_hash, "
                  "pii_digest, prev_hash, hash")


def append_choices(store: Store, drafts: list[LedgerDraft]) -> None:
    """Chain and store many records in one transaction (`append_ledger` commits, durably, one each)."""
    with store.connection() as conn:
        cur = conn.cursor()
        cur.execute("SELECT seq, hash FROM ck_ledger ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        seq, prev = (int(row[0]), str(row[1])) if row else (0, GENESIS)
        rows = []
        for draft in drafts:
            seq += 1
            r = seal(draft, seq, prev)
            prev = r.hash
            rows.append((r.seq, r.ts, r.consent_id, json.dumps(r.granted), json.dumps(r.denied), r.policy_version,
                         r.shown_hash, r.dnt, r.gpc, r.source, r.ip, r.ua_hash, r.pii_digest, r.prev_hash, r.hash))
        cur.executemany(store._q(f"INSERT INTO ck_ledger ({LEDGER_COLUMNS}) VALUES ({', '.join('?' * 15)})"), rows)
        if store.dialect == "postgres":
            cur.execute("UPDATE ck_ledger_head SET seq = %s, hash = %s WHERE id = 1", (seq, prev))


def generate(store: Store, start: int, count: int, now: float) -> None:
    t0 = now - 30 * 86400
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        first = start + done
        append_choices(store, [
            LedgerDraft(t0 + c * PER_CONSENT * 0.2 - 1, f"c{c:021d}", ("analytics",), (), "1", "h" * 64, False, False,
                        "banner", None, None)
            for c in range(first // PER_CONSENT, (first + n + PER_CONSENT - 1) // PER_CONSENT)
            if c * PER_CONSENT >= first
        ])
        events = [{
            "ts": t0 + i * 0.2, "kind": "pageview", "method": "GET", "host": "example.com", "path": f"/p/{i % 500}",
            "status": 200, "visitor_id": f"v{i // PER_CONSENT:021d}", "session_id": f"s{i // 5:021d}",
            "consent_id": f"c{i // PER_CONSENT:021d}", "policy_version": "1", "basis": "analytics,necessary",
            "browser": "Firefox", "browser_version": "128", "os": "Linux", "device": "desktop", "is_bot": False,
            "referrer_class": "direct", "language": "en", "truncated": False,
        } for i in range(first, first + n)]
        store.write_events(events)
        done += n
    if store.dialect == "postgres":  # what autovacuum does on a live site: the planner knows the tables
        with store.connection() as conn:
            conn.execute("ANALYZE")


def timed_audit(url: str, config: ConsentConfig, now: float, out: Any) -> None:
    store = open_store(url)
    t = time.perf_counter()
    report = audit(store, config, now=now, record=False)
    elapsed = time.perf_counter() - t
    store.close()
    out.send((elapsed, report.events, report.total_findings, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_child(url: str, config: ConsentConfig, now: float) -> tuple[float, int, int, int]:
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=timed_audit, args=(url, config, now, send))
    child.start()
    result: tuple[float, int, int, int] = receive.recv()
    child.join()
    return result


def bench(name: str, url: str, total: int) -> None:
    now = time.time()
    config = ConsentConfig(secret_keys=["b" * 40], storage_url=url)
    store = open_store(url)
    tenth = total // 10
    t = time.perf_counter()
    generate(store, 0, tenth, now)
    print(f"{name}: generated {tenth:,} events in {time.perf_counter() - t:.0f} s", flush=True)
    small = run_child(url, config, now)
    t = time.perf_counter()
    generate(store, tenth, total - tenth, now)
    print(f"{name}: generated {total - tenth:,} more in {time.perf_counter() - t:.0f} s", flush=True)
    store.close()
    large = run_child(url, config, now)
    for elapsed, events, findings, rss_kb in (small, large):
        print(f"{name}: audit of {events:>12,} events: {elapsed:8.1f} s, {events / elapsed:>10,.0f} events/s, "
              f"peak RSS {rss_kb / 1024:6.1f} MB, {findings} findings", flush=True)


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    with tempfile.TemporaryDirectory(prefix="ck-audit-") as tmp:
        bench("sqlite", f"sqlite:///{Path(tmp) / 'audit.db'}", total)
    if len(sys.argv) > 2:
        bench("postgres", sys.argv[2], total)


if __name__ == "__main__":
    main()
