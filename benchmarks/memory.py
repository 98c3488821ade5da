"""Memory stays flat when the store is slower than the traffic: the queue is bounded and the newest
events are dropped (and counted) instead of piling up.

Run: .venv/bin/python benchmarks/memory.py [requests] [warm-up]   (default 1,000,000 after 500,000)

The warm-up fills what is bounded by design: the per-visitor caches hold 4,096 entries (reached
here after 409,600 requests, one visitor per 100 of them) and SQLite's page cache 8 MB. What they
take is printed apart; the target is the growth over the requests after them.
"""

from __future__ import annotations

import gc
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from consentkit import ConsentConfig
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
from consentkit.responses import response_headers
from consentkit.storage.sqlite import SQLiteStore

UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1"


class SlowStore(SQLiteStore):
    """Takes 50 ms per batch: far slower than the requests arriving."""

    def write_events(self, events: Sequence[dict[str, Any]]) -> None:
        time.sleep(0.05)
        super().write_events(events)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    measured = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    warm = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
    total = warm + measured
    tmp = Path(tempfile.mkdtemp(prefix="ck-mem-"))
    cfg = ConsentConfig(secret_keys=["m" * 40], storage_url=f"sqlite:///{tmp / 'm.db'}",
                        collection={"queue_size": 10_000, "batch_size": 500})
    store = SlowStore(str(tmp / "m.db"))
    store.migrate()
    engine = Engine(cfg, store=store)
    value = engine.codec.encode(Choice(new_id(), cfg.optional, "1", time.time()))
    samples: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    for i in range(total):
        # a new visitor every 100 requests, a new page every request: caches churn like real traffic
        if i % 100 == 0:
            vid = engine.ids.sign("visitor", f"v{i // 100:021d}")
        cookie = f"ck_consent={value}; ck_vid={vid}"
        referer = f"https://example.com/p{i % 997}"
        headers = {"host": "example.com", "user-agent": UA, "cookie": cookie, "referer": referer}
        req = RequestView("GET", f"/page/{i % 5000}", "", headers, f"10.{i % 250}.{i // 250 % 250}.1")
        ex = engine.begin(req)
        response_headers(engine, ex, [("content-type", "text/html")])
        engine.finish(ex, 200, "text/html")
        if i == 0 or (i >= warm and (i - warm) % (measured // 10) == 0):
            gc.collect()
            samples.append((i, rss_mb()))
    elapsed = time.perf_counter() - t0
    gc.collect()
    samples.append((total, rss_mb()))
    w = engine.writer
    print(f"{total:,} requests in {elapsed:.1f} s ({total / elapsed:,.0f} req/s) against a store taking 50 ms/batch")
    for i, mb in samples:
        print(f"  after {i:>9,} requests: RSS {mb:7.1f} MB{'   (end of warm-up)' if i == warm else ''}")
    # From the sample at the end of the warm-up (the first one, with no warm-up) to the highest after it.
    settled = next(k for k, (i, _) in enumerate(samples) if i >= warm)
    filled = samples[settled][1] - samples[0][1]
    growth = max(mb for _, mb in samples[settled:]) - samples[settled][1]
    print(f"writer failures {w.failures}")
    print(f"filled by the warm-up (bounded caches, SQLite's page cache, the queue): {filled:+.1f} MB")
    mark = "ok" if growth <= 10 else "MISSED"
    print(f"RSS growth over the {measured:,} requests after it: {growth:+.1f} MB (target: within 10 MB: {mark}); "
          f"queue {w.pending:,} of "
          f"{w.queue_size:,}; written {w.written:,}; dropped and counted {w.dropped:,}")
    engine.close()


if __name__ == "__main__":
    main()
