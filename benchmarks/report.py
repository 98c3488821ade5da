"""Report queries over a year of a site with 10 million events, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/report.py [--events 10000000] [--days 365] [--runs 3] [--engines sqlite,postgres]

For each engine: generates the events (a year of page views and beacons from a mid-sized site:
Zipf-distributed paths, referrers, campaigns, browsers, countries; returning visitors; 5% beacons,
1% known bots) and the anonymous counters (per-path page views, consent counters) into a fresh
database, builds the daily rollups (`rebuild_rollups`, timed), then times `build_report` — the whole
year with every day built, the last month, and the year again with its last day not built (read
from the events, as today is) — and prints medians of `--runs`. PostgreSQL is a throw-away server
started like the tests' (tests/pg.py: fsync off). Takes minutes: it writes 10 million rows twice.
Target: a year's report under one second on both engines; exit status 0 when met.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the PostgreSQL helpers of tests/pg.py

from consentkit.review import build_report, rebuild_rollups  # noqa: E402
from consentkit.storage import Store, open_store  # noqa: E402
from consentkit.storage.rollups import DAY_S  # noqa: E402
from consentkit.storage.schema import EVENT_FIELDS  # noqa: E402

TARGET_S = 1.0
START_DAY = 20089  # 2025-01-01
CHUNK = 50_000


def zipf(n: int, s: float = 1.1) -> list[float]:
    """Cumulative weights of a Zipf distribution over n items."""
    return list(itertools.accumulate(1 / (i + 1) ** s for i in range(n)))


def event_rows(total: int, days: int, seed: int = 11) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of event rows (EVENT_FIELDS order), in time order."""
    rnd = random.Random(seed)
    paths = ["/", "/pricing", "/docs", "/blog", "/about"] + [f"/blog/post-{i}" for i in range(4995)]
    hosts = [f"site{i}.example" for i in range(300)]
    campaigns = [f"campaign-{i}" for i in range(60)]
    browsers = ["Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera", "Chrome Mobile",
                "Mobile Safari", "Firefox Mobile", "UC Browser", "Yandex Browser", "Vivaldi"]
    oses = ["Windows", "Mac OS X", "Android", "iOS", "Linux", "Chrome OS", "Ubuntu", "Fedora"]
    devices = ["desktop", "mobile", "tablet"]
    countries = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(80)]
    w_path, w_host, w_camp = zipf(len(paths)), zipf(len(hosts)), zipf(len(campaigns))
    w_browser, w_os, w_country = zipf(len(browsers), 1.5), zipf(len(oses), 1.5), zipf(len(countries), 1.3)
    classes = ["direct", "search", "social", "website", "campaign"]
    index = {f: i for i, f in enumerate(EVENT_FIELDS)}
    visitors = [f"v{rnd.getrandbits(96):024x}" for _ in range(total // 8)]
    per_day = total // days
    made = 0
    rows: list[tuple[Any, ...]] = []
    for d in range(days):
        n = per_day if d < days - 1 else total - made
        day_start = (START_DAY + d) * DAY_S
        times = sorted(rnd.uniform(day_start, day_start + DAY_S) for _ in range(n))
        todays = rnd.choices(visitors, k=max(1, n // 3))
        for ts in times:
            row: list[Any] = [None] * len(EVENT_FIELDS)
            vid = todays[rnd.randrange(len(todays))]
            klass = rnd.choices(classes, cum_weights=[40, 75, 85, 95, 100])[0]
            row[index["ts"]] = ts
            row[index["kind"]] = "beacon" if rnd.random() < 0.05 else "pageview"
            row[index["method"]] = "GET"
            row[index["host"]] = "www.example.org"
            row[index["path"]] = rnd.choices(paths, cum_weights=w_path)[0]
            row[index["status"]] = 200
            row[index["referrer_class"]] = klass
            if klass in ("search", "social", "website"):
                row[index["referrer_host"]] = rnd.choices(hosts, cum_weights=w_host)[0]
            if klass == "campaign":
                row[index["utm_source"]] = "newsletter" if rnd.random() < 0.6 else "partner"
                row[index["utm_medium"]] = "email" if rnd.random() < 0.7 else "cpc"
                row[index["utm_campaign"]] = rnd.choices(campaigns, cum_weights=w_camp)[0]
            row[index["ip"]] = f"81.2.{rnd.randrange(256)}.0"
            row[index["country"]] = rnd.choices(countries, cum_weights=w_country)[0]
            row[index["browser"]] = rnd.choices(browsers, cum_weights=w_browser)[0]
            row[index["os"]] = rnd.choices(oses, cum_weights=w_os)[0]
            row[index["device"]] = devices[rnd.randrange(3) if rnd.random() < 0.5 else 0]
            row[index["is_bot"]] = rnd.random() < 0.01
            row[index["language"]] = "en"
            row[index["visitor_id"]] = vid
            row[index["session_id"]] = f"{vid}-{int(ts // 1800)}"
            row[index["consent_id"]] = "c" + vid[1:]
            row[index["policy_version"]] = "1"
            row[index["basis"]] = "analytics,necessary"
            row[index["truncated"]] = False
            rows.append(tuple(row))
            if len(rows) == CHUNK:
                yield rows
                rows = []
        made += n
    if rows:
        yield rows


def counters(days: int, seed: int = 5) -> dict[tuple[str, str, str], int]:
    """A year of anonymous counters: page views per path, and the consent counters."""
    rnd = random.Random(seed)
    out: dict[tuple[str, str, str], int] = {}
    for d in range(days):
        day = time.strftime("%Y-%m-%d", time.gmtime((START_DAY + d) * DAY_S))
        for i in range(2000):
            out[(day, "pageviews", f"/blog/post-{i}")] = rnd.randrange(1, 40)
        out[(day, "consent.signals", "pages")] = 40_000
        out[(day, "consent.signals", "dnt")] = 3000
        out[(day, "consent.signals", "gpc")] = 1500
        out[(day, "consent.impressions", "1|en")] = 9000
        for outcome, n in (("accept_all", 4000), ("reject_all", 2500), ("custom", 800)):
            out[(day, "consent.choices", f"1|{outcome}")] = n
        for cat, n in (("analytics", 4500), ("marketing", 4100), ("preferences", 4300)):
            out[(day, "consent.optins", f"1|{cat}")] = n
    return out


def load(store: Store, url: str, total: int, days: int) -> float:
    """Write the events and counters; seconds taken."""
    started = time.monotonic()
    cols = ", ".join(EVENT_FIELDS)
    if store.dialect == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA synchronous=OFF")
        sql = f"INSERT INTO ck_events ({cols}) VALUES ({', '.join('?' * len(EVENT_FIELDS))})"
        for chunk in event_rows(total, days):
            with conn:
                conn.executemany(sql, chunk)
        conn.close()
    else:
        import psycopg

        from consentkit.storage.postgres import PostgresStore, month_bounds

        assert isinstance(store, PostgresStore)
        for d in range(0, days, 28):
            y, m, a, b = month_bounds((START_DAY + d) * DAY_S)
            store.ensure_partition(y, m, a, b)
        y, m, a, b = month_bounds((START_DAY + days - 1) * DAY_S)
        store.ensure_partition(y, m, a, b)
        with psycopg.connect(url) as conn:
            for chunk in event_rows(total, days):
                with conn.cursor() as cur, cur.copy(f"COPY ck_events ({cols}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
                conn.commit()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    store.add_counts(counters(days))
    return time.monotonic() - started


def median_time(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(name: str, url: str, total: int, days: int, runs: int) -> dict[str, float]:
    store = open_store(url)
    try:
        print(f"{name}: writing {total:,} events over {days} days ...", flush=True)
        loaded = load(store, url, total, days)
        first, last = START_DAY, START_DAY + days - 1
        after = (last + 1) * DAY_S + 3600
        started = time.monotonic()
        rebuild_rollups(store, now=after)
        rebuilt = time.monotonic() - started
        if store.dialect == "postgres":
            store.execute("ANALYZE ck_rollups")
        rows = store.query("SELECT COUNT(*) FROM ck_rollups")[0][0]
        year = median_time(lambda: build_report(store, first, last), runs)
        month = median_time(lambda: build_report(store, last - 29, last), runs)
        store.execute("DELETE FROM ck_rollup_days WHERE day = (SELECT MAX(day) FROM ck_rollup_days)")
        store.execute("DELETE FROM ck_rollups WHERE day = (SELECT MAX(day) FROM ck_rollups)")
        live = median_time(lambda: build_report(store, first, last), runs)
        return {"load_s": loaded, "rebuild_s": rebuilt, "rollup_rows": float(rows), "year_s": year, "month_s": month,
                "year_live_day_s": live}
    finally:
        store.close()


def on_engines(engines: list[str], database: str, run: Callable[[str, str], dict[str, float]]
               ) -> dict[str, dict[str, float]]:
    """`run(engine name, storage URL)` on a throw-away SQLite file and/or PostgreSQL database."""
    results: dict[str, dict[str, float]] = {}
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            results["SQLite"] = run("SQLite", f"sqlite:///{tmp}/bench.db")
    if "postgres" in engines:
        from pg import PgServer, create_database, drop_database

        server = PgServer.start()
        try:
            create_database(server.url, database)
            try:
                results["PostgreSQL"] = run("PostgreSQL", server.url_for(database))
            finally:
                drop_database(server.url, database)
        finally:
            server.stop()
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--engines", default="sqlite,postgres")
    args = p.parse_args()
    results = on_engines(args.engines.split(","), "ck_report_bench",
                         lambda name, url: bench(name, url, args.events, args.days, args.runs))
    print(f"\n{args.events:,} events over {args.days} days; medians of {args.runs} runs")
    print(f"{'engine':<12}{'load':>10}{'rebuild':>10}{'rollup rows':>13}{'year':>9}{'month':>9}{'year+live day':>15}")
    ok = True
    for name, r in results.items():
        print(f"{name:<12}{r['load_s']:>9.1f}s{r['rebuild_s']:>9.1f}s{int(r['rollup_rows']):>13,}"
              f"{r['year_s']:>8.3f}s{r['month_s']:>8.3f}s{r['year_live_day_s']:>14.3f}s")
        ok = ok and r["year_s"] < TARGET_S and r["year_live_day_s"] < TARGET_S
    print(f"target: a year's report under {TARGET_S:g} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
