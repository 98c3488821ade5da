"""Every console page rendered over a year of a site with 10 million events, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/console.py [--events 10000000] [--days 365] [--runs 5] [--engines sqlite,postgres]

Seeds the store as benchmarks/report.py does (the same events and counters; its `load`), adds a
consent ledger, cookie counters and an audit run, builds the daily rollups of every day but the
last (the last is "today": pages read it from the events), then times each page's `render` with a
real `PageRequest` and prints medians of `--runs`: each page as it opens (the analytics pages: the
last 30 complete days), and heavier views of some (today included, read from the events; a whole
year; the log filtered). Target: each page as it opens under 300 ms on both engines; exit status 0
when met (the heavier views are printed beside them).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the PostgreSQL helpers of tests/pg.py
sys.path.insert(0, str(HERE))

from report import START_DAY, load, median_time, on_engines  # noqa: E402

from consentkit.config import ConsentConfig  # noqa: E402
from consentkit.console.page import PageRequest, User  # noqa: E402
from consentkit.console.pages import PAGES  # noqa: E402
from consentkit.ledger import LedgerDraft  # noqa: E402
from consentkit.review import rebuild_rollups  # noqa: E402
from consentkit.review.audit import record_run  # noqa: E402
from consentkit.review.audit_checks import Head  # noqa: E402
from consentkit.storage import Store, open_store  # noqa: E402
from consentkit.storage.rollups import DAY_S, day_name  # noqa: E402

TARGET_S = 0.3
LEDGER = 20_000


class Discard:
    def record(self, user: User, action: str, *, subject: str = "", detail: Mapping[str, str] | None = None) -> None:
        pass


def seed_extras(store: Store, days: int) -> None:
    """A consent ledger (one record per consent id of a sample of visitors), cookie counters, and
    an audit run recorded at the chain's head."""
    rnd = random.Random(3)
    last = None
    for i in range(LEDGER):
        ts = (START_DAY + i * days / LEDGER) * DAY_S
        last = store.append_ledger(LedgerDraft(
            ts, f"c{rnd.getrandbits(96):024x}", ("analytics",) if i % 3 else (), () if i % 3 else ("analytics",),
            "1", "0" * 64, False, i % 17 == 0, "banner", "81.2.69.0", "f" * 16))
    counts: dict[tuple[str, str, str], int] = {}
    for d in range(days):
        day = day_name(START_DAY + d)
        counts[(day, "cookie.lifetime", "_ga|63072000")] = 30
        counts[(day, "cookie.stripped", "_fbp|marketing")] = 12
        counts[(day, "cookie.undeclared.reported", "tracker")] = 2
    store.add_counts(counts)
    assert last is not None
    record_run(store, time.time(), time.time(), Head(last.seq, last.hash), 0, "", {})


def requests(store: Store, config: ConsentConfig, now: float, visitor: str) -> dict[str, PageRequest]:
    """The views timed: each page as it first opens, and the heavier variants of some."""
    def req(query: dict[str, str] | None = None) -> PageRequest:
        return PageRequest(config, store, User("bench", "officer", "127.0.0.1"), "GET", query or {}, {}, "en",
                           "", "csrf", "t", Discard(), now)

    year = {"from": day_name(START_DAY), "to": day_name(int(now // DAY_S))}
    views = {p.path: req() for p in PAGES}
    today = int(now // DAY_S)
    views["/overview (+today)"] = req({"from": day_name(today - 29), "to": day_name(today)})
    views["/overview (year)"] = req(year)
    views["/consent (year)"] = req(year)
    views["/log ?visitor"] = req({"visitor": visitor})
    views["/log ?path=/pricing"] = req({"path": "/pricing"})
    views["/log ?kind=beacon"] = req({"kind": "beacon"})
    views["/ledger ?policy=1"] = req({"policy": "1"})
    views["/subjects ?subject"] = req({"subject": visitor})
    return views


def time_views(store: Store, config: ConsentConfig, now: float, runs: int) -> dict[str, float]:
    visitor = str(store.query("SELECT visitor_id FROM ck_events ORDER BY ts DESC LIMIT 1")[0][0])
    pages = {p.path: p for p in PAGES}
    out = {}
    for name, request in requests(store, config, now, visitor).items():
        render = pages[name.split(" ")[0]].render
        render(request)  # warm the caches once, as a console's second visitor finds them
        out[name] = median_time(lambda r=request, f=render: f(r), runs)  # type: ignore[misc]
    return out


def bench(name: str, url: str, total: int, days: int, runs: int) -> dict[str, float]:
    store = open_store(url)
    try:
        print(f"{name}: writing {total:,} events over {days} days ...", flush=True)
        load(store, url, total, days)
        if store.dialect == "sqlite":  # `load` bypassed the writer, which files each event's ids as it goes
            from consentkit.storage.sqlite import _file_subjects

            with store.connection() as conn:
                cur = conn.cursor()
                _file_subjects(cur, int(cur.execute("SELECT MAX(id) FROM ck_events").fetchone()[0]), 1)
        seed_extras(store, days)
        now = (START_DAY + days - 1) * DAY_S + 18 * 3600  # late on the last day: today is read live
        rebuild_rollups(store, now=now)
        if store.dialect == "postgres":
            store.execute("ANALYZE")
        config = ConsentConfig(secret_keys=["k" * 40], storage_url=url)
        return time_views(store, config, now, runs)
    finally:
        store.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--engines", default="sqlite,postgres")
    args = p.parse_args()
    results = on_engines(args.engines.split(","), "ck_console_bench",
                         lambda name, url: bench(name, url, args.events, args.days, args.runs))
    names: list[str] = list(next(iter(results.values()))) if results else []
    print(f"\n{args.events:,} events over {args.days} days; medians of {args.runs} renders, in ms")
    print(f"{'page':<24}" + "".join(f"{e:>12}" for e in results))
    ok = True
    for n in names:
        print(f"{n:<24}" + "".join(f"{r[n] * 1000:>12.1f}" for r in results.values()))
        if " " not in n:  # a page as it opens
            ok = ok and all(r[n] < TARGET_S for r in results.values())
    print(f"target: every page as it opens under {TARGET_S * 1000:g} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
