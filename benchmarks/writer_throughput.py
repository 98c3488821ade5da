"""Events per second through the background `Writer`, next to the raw database driver on the same rows.

    .venv/bin/python benchmarks/writer_throughput.py [--rows 100000] [--runs 3] [--also-batch N]

Medians of `--runs` runs, each on a fresh database, the runs of all variants interleaved:

- Writer + SQLiteStore    vs  sqlite3 `executemany` of the same rows in one transaction;
- Writer + PostgresStore  vs  psycopg COPY of the same rows in one transaction, on a throw-away
  PostgreSQL server started like the tests' (tests/pg.py: fsync off).

The Writer runs as in an application: `submit()` from the calling thread, batches written by its
own thread: each engine's default `collection.batch_size` (500 SQLite, 2000 PostgreSQL) and the other's,
for comparison; the
clock stops when `stop()` has flushed everything. The raw figures get the rows as ready-made tuples
in a single transaction, so they are the ceiling.
A last row runs the SQLite Writer beside a thread that runs Python flat out (`BusyThread`), as a
request thread serving pages at full load does, and compares it with the same writer alone.
Targets: the Writer at least 50% of the raw driver, and at least 50,000 events/s into SQLite.
Exit status 0 when the default configuration meets them.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the PostgreSQL helpers of tests/pg.py

from consentkit.collect.settings import CollectionConfig  # noqa: E402
from consentkit.storage.postgres import PostgresStore  # noqa: E402
from consentkit.storage.schema import EVENT_FIELDS  # noqa: E402
from consentkit.storage.sqlite import SQLiteStore  # noqa: E402
from consentkit.storage.writer import Writer  # noqa: E402
from pg import PgServer, create_database, drop_database  # noqa: E402

TARGET_RATIO = 0.5
TARGET_SQLITE = 50_000
BUSY_ROWS = 20_000


def realistic_events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Page views and beacons as a mid-sized site collects them, most fields present."""
    rnd = random.Random(seed)
    paths = ["/", "/pricing", "/docs", "/docs/install", "/blog", "/about", "/contact", "/signup"]
    paths += [f"/blog/post-{i}" for i in range(200)]
    browsers = [("Chrome", "124"), ("Firefox", "125"), ("Safari", "17.4"), ("Edge", "124")]
    oses = [("Windows", "10"), ("Mac OS X", "14.4"), ("Android", "14"), ("iOS", "17.4"), ("Linux", None)]
    places = [("DE", "BE", "Berlin"), ("FR", "IDF", "Paris"), ("GB", "ENG", "London"), ("US", "CA", "San Jose")]
    visitors = [f"{rnd.getrandbits(128):032x}" for _ in range(max(1, n // 8))]
    start = time.time() - 3600
    out: list[dict[str, Any]] = []
    for i in range(n):
        v = rnd.randrange(len(visitors))
        browser, os_ = rnd.choice(browsers), rnd.choice(oses)
        country, region, city = rnd.choice(places)
        beacon = rnd.random() < 0.2
        campaign = rnd.random() < 0.1
        out.append({
            "ts": start + i * 0.01, "kind": "beacon" if beacon else "pageview", "method": "POST" if beacon else "GET",
            "host": "www.example.com", "path": rnd.choice(paths), "status": None if beacon else 200,
            "duration_ms": None if beacon else round(rnd.uniform(2, 80), 3),
            "referrer_host": None if beacon else rnd.choice([None, "www.google.com", "news.ycombinator.com"]),
            "referrer_path": None, "referrer_class": None if beacon else rnd.choice(["direct", "search", "social"]),
            "utm_source": "newsletter" if campaign else None, "utm_medium": "email" if campaign else None,
            "utm_campaign": "spring" if campaign else None, "utm_term": None, "utm_content": None, "click_id": None,
            "ip": f"81.2.{rnd.randrange(256)}.0", "country": country, "region": region, "city": city,
            "asn": rnd.choice([3320, 2856, 7922]), "isp": rnd.choice(["Telekom", "BT", "Comcast"]),
            "browser": browser[0], "browser_version": browser[1], "os": os_[0], "os_version": os_[1],
            "device": rnd.choice(["desktop", "mobile", "tablet"]), "device_brand": None, "device_model": None,
            "is_bot": False, "language": rnd.choice(["en", "de", "fr"]), "visitor_id": visitors[v],
            "session_id": f"{v:08x}{i // 40:08x}", "consent_id": f"c{v:021x}"[:22], "policy_version": "3",
            "basis": "analytics,necessary,preferences",
            "engaged_ms": rnd.randrange(100, 120_000) if beacon else None,
            "scroll": rnd.randrange(0, 101) if beacon else None, "clicks": None, "truncated": False,
        })
    return out


def timed(run: Callable[[], int]) -> float:
    os.sync()  # start each run without an earlier run's writes still being flushed
    t0 = time.perf_counter()
    n = run()
    return n / (time.perf_counter() - t0)


DEFAULT_BATCH = {"SQLite": SQLiteStore.default_batch_size, "PostgreSQL": PostgresStore.default_batch_size}
"""What `collection.batch_size` is unless set: the store's own default."""


def through_writer(store: Any, rows: list[dict[str, Any]], batch_size: int) -> int:
    col = CollectionConfig()
    writer = Writer(store, queue_size=len(rows) + 1, batch_size=batch_size, interval_s=col.flush_interval_ms / 1000)
    for e in rows:
        writer.submit(e)
    writer.stop()
    if writer.written != len(rows) or writer.dropped:
        raise SystemExit(f"the writer lost events: written {writer.written}, dropped {writer.dropped}")
    return writer.written


# -- SQLite ---------------------------------------------------------------------------------------
def sqlite_writer(tmp: Path, rows: list[dict[str, Any]], run: int, batch_size: int) -> float:
    store = SQLiteStore(str(tmp / f"writer-{batch_size}-{run}.db"))
    store.migrate()
    try:
        return timed(lambda: through_writer(store, rows, batch_size))
    finally:
        store.close()


class BusyThread:
    """A thread running Python without pause, as one serving pages flat out does: the writer then
    shares the GIL with it, and waits to get it back each time sqlite3 gave it up."""

    def __enter__(self) -> BusyThread:
        self._stop = False
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()
        return self

    def _spin(self) -> None:
        while not self._stop:
            pass

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join()


def sqlite_raw(tmp: Path, tuples: list[tuple[Any, ...]], run: int) -> float:
    path = tmp / f"raw-{run}.db"
    SQLiteStore(str(path)).migrate()  # the same schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    sql = f"INSERT INTO ck_events ({', '.join(EVENT_FIELDS)}) VALUES ({', '.join('?' * len(EVENT_FIELDS))})"

    def run_() -> int:
        conn.execute("BEGIN")
        conn.executemany(sql, tuples)
        conn.execute("COMMIT")
        return len(tuples)

    try:
        return timed(run_)
    finally:
        conn.close()


# -- PostgreSQL -----------------------------------------------------------------------------------
def pg_writer(server: PgServer, rows: list[dict[str, Any]], run: int, batch_size: int) -> float:
    name = f"bench_writer_{batch_size}_{run}"
    create_database(server.url, name)
    store = PostgresStore(server.url_for(name))
    try:
        store.migrate()
        store.execute("CHECKPOINT")
        return timed(lambda: through_writer(store, rows, batch_size))
    finally:
        store.close()
        drop_database(server.url, name)


def pg_raw(server: PgServer, tuples: list[tuple[Any, ...]], run: int) -> float:
    import psycopg

    name = f"bench_raw_{run}"
    create_database(server.url, name)
    setup = PostgresStore(server.url_for(name))
    setup.migrate()
    setup.write_events([dict(zip(EVENT_FIELDS, tuples[0], strict=True))])  # the month's partition, like the store
    setup.execute("DELETE FROM ck_events")
    setup.execute("CHECKPOINT")
    setup.close()
    conn = psycopg.connect(server.url_for(name))

    def run_() -> int:
        with conn.cursor() as cur, cur.copy(f"COPY ck_events ({', '.join(EVENT_FIELDS)}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)
        conn.commit()
        return len(tuples)

    try:
        return timed(run_)
    finally:
        conn.close()
        drop_database(server.url, name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--also-batch", type=int, default=0,
                   help="one more writer batch size to show next to the engines' defaults")
    p.add_argument("--skip-postgres", action="store_true")
    args = p.parse_args(argv)

    rows = realistic_events(args.rows)
    tuples = [tuple(e[f] for f in EVENT_FIELDS) for e in rows]
    # Each engine's default, and the other's for comparison.
    batches = sorted({*DEFAULT_BATCH.values(), *([args.also_batch] if args.also_batch else [])})
    writer: dict[tuple[str, int], float] = {}
    raw: dict[str, float] = {}

    samples: dict[tuple[str, int], list[float]] = {}
    busy: list[float] = []
    alone: list[float] = []  # the same rows and writer without the busy thread, for the comparison
    with tempfile.TemporaryDirectory(prefix="consentkit-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for r in range(args.runs):  # interleaved, so a busy moment of the machine hits every figure alike
            samples.setdefault(("SQLite", 0), []).append(sqlite_raw(tmp, tuples, r))
            for b in batches:
                samples.setdefault(("SQLite", b), []).append(sqlite_writer(tmp, rows, r, b))
            alone.append(sqlite_writer(tmp, rows[:BUSY_ROWS], 2000 + r, DEFAULT_BATCH["SQLite"]))
            with BusyThread():
                busy.append(sqlite_writer(tmp, rows[:BUSY_ROWS], 1000 + r, DEFAULT_BATCH["SQLite"]))
    if not args.skip_postgres:
        with PgServer.start() as server:
            for r in range(args.runs):
                samples.setdefault(("PostgreSQL", 0), []).append(pg_raw(server, tuples, r))
                for b in batches:
                    samples.setdefault(("PostgreSQL", b), []).append(pg_writer(server, rows, r, b))
    for (engine, b), values in samples.items():
        if b:
            writer[engine, b] = statistics.median(values)
        else:
            raw[engine] = statistics.median(values)

    median_busy, median_alone = statistics.median(busy), statistics.median(alone)
    print(f"{args.rows:,} realistic events, median of {args.runs} runs, events/s (higher is better)\n")
    print(f"{'engine':<11} {'writer batch':>14} {'Writer+Store':>13} {'raw driver':>11} {'ratio':>6}   targets")
    ok = True
    for (engine, b), w in writer.items():
        base = raw[engine]
        ratio = w / base
        checks = [f"ratio >= {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'MISSED'}"]
        if engine == "SQLite":
            checks.append(f">= {TARGET_SQLITE:,}/s: {'met' if w >= TARGET_SQLITE else 'MISSED'}")
        if b == DEFAULT_BATCH[engine]:
            ok &= ratio >= TARGET_RATIO and (engine != "SQLite" or w >= TARGET_SQLITE)
        label = f"{b}" + (" (default)" if b == DEFAULT_BATCH[engine] else "")
        print(f"{engine:<11} {label:>14} {w:>13,.0f} {base:>11,.0f} {ratio:>6.0%}   {'; '.join(checks)}")
    print(f"{'SQLite, beside a busy thread':<26} {median_busy:>13,.0f} {'':>11} {median_busy / median_alone:>6.0%}   "
          f"of the same writer alone ({median_alone:,.0f}/s), both on the same {min(BUSY_ROWS, args.rows):,} events")
    print(
        "\nraw: sqlite3 executemany / psycopg COPY of all rows in one transaction, rows prebuilt as tuples"
        "\n     (SQLite: the same rows into the same schema, without the Writer's filing of subject ids)."
        "\nWriter: submit() per event, one transaction per batch (collection.batch_size), on its own thread."
        "\nPostgreSQL: a throw-away local server as in tests/pg.py (fsync off); SQLite: WAL on the temp directory."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
