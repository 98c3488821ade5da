"""Per-request overhead of the ASGI middleware over the bare Starlette app, measured in-process.

Run: .venv/bin/python benchmarks/middleware.py [requests-per-round]
Each case is measured against the bare app in its own phase: rounds alternate bare app and case,
and the overhead is the median of the rounds' differences (µs of CPU time per request in the
serving thread), so a busy moment of a shared machine falls on both sides of a pair. Between
phases the writer stores what earlier cases queued, so that one case's backlog does not burden the
next; the writer's work for the case's own events runs during its phase, as it would in a server.
Every phase is repeated over the run; each case is reported from its quietest repeat.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from consentkit import ConsentConfig, ConsentMiddleware

ROOT = Path(__file__).resolve().parents[1]
MAXMIND = ROOT / "tests" / "data" / "maxmind"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
PAGE = "<!doctype html><html><head><title>t</title></head><body>" + "<p>hello</p>" * 20 + "</body></html>"


def bare_app() -> Starlette:
    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", home)])


def scope(
    headers: list[tuple[bytes, bytes]], method: str = "GET", path: str = "/", client: str = "81.2.69.142"
) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": headers, "client": (client, 5000), "scheme": "https", "http_version": "1.1",
            "root_path": "", "server": ("bench", 443)}


async def run(app: Any, make_scope: Any, n: int, body: bytes = b"") -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    # CPU time of this thread: other processes on a shared machine do not inflate it. The writer
    # thread's own work (storing the events) is not in it; its contention with this thread is.
    t0 = time.thread_time()
    for i in range(n):
        await app(make_scope(i), receive, send)
    return (time.thread_time() - t0) / n * 1e6


def paired(baseline: Case, case: Case, rounds: int) -> Paired:
    """(median µs of the baseline, of the case, of the case's extra over the baseline in each
    round, and of the case / baseline ratio in each round); a round runs the baseline, then the
    case, with the same number of requests."""
    loop = asyncio.new_event_loop()
    for app, make_scope, n, body in (baseline, case):
        loop.run_until_complete(run(app, make_scope, min(n, 500), body))  # warm caches
    base_app, base_scope, _, base_body = baseline
    app, make_scope, n, body = case
    b: list[float] = []
    c: list[float] = []
    for _ in range(rounds):
        b.append(loop.run_until_complete(run(base_app, base_scope, n, base_body)))
        c.append(loop.run_until_complete(run(app, make_scope, n, body)))
    loop.close()
    return summary(b, c)


def summary(b: list[float], c: list[float]) -> Paired:
    """`paired`'s medians of the baseline's and the case's times, measured in the same rounds."""
    pairs = list(zip(b, c, strict=True))
    return (statistics.median(b), statistics.median(c), statistics.median(y - x for x, y in pairs),
            statistics.median(y / x for x, y in pairs))


Case = tuple[Any, Any, int, bytes]
"""An ASGI app, its scope for request i, requests per round, and the request body."""
Paired = tuple[float, float, float, float]


def phases(baseline: Case, cases: dict[str, Case], rounds: int, repeats: int,
           before: Callable[[], None] = lambda: None) -> dict[str, list[Paired]]:
    """Each case against the baseline in its own phase (`paired`), every phase `repeats` times
    spread over the run; `before` runs ahead of each phase. Other tenants of a shared machine slow
    whole phases down, the baseline with the case and not in proportion: a case is judged by its
    quietest repeat, `min()` of its list (where the baseline beside it ran fastest)."""
    out: dict[str, list[Paired]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            before()
            out[name].append(paired(baseline, case, rounds))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = 21
    repeats = 3
    tmp = Path(tempfile.mkdtemp(prefix="ck-bench-"))
    geo = {}
    if MAXMIND.exists():
        geo = {"geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb", "geoip_asn_db": MAXMIND / "GeoLite2-ASN-Test.mmdb"}
    base = {"secret_keys": ["b" * 40], "storage_url": f"sqlite:///{tmp / 'bench.db'}"}
    cfg = ConsentConfig(**base, collection={"ip_mode": "hash", **geo, "queue_size": 200_000})
    cfg_nocollect = ConsentConfig(**base, collection={"enabled": False})
    # Measured before any choice: every request without cookies is issued (signed) visitor and session ids.
    cfg_default = ConsentConfig(secret_keys=base["secret_keys"], storage_url=f"sqlite:///{tmp / 'default.db'}",
                                default_granted=["analytics"], collection={"ip_mode": "hash", **geo,
                                                                           "queue_size": 200_000})
    # Regional regimes (docs/regions.md): located by GeoIP, or by an edge network's header from a trusted proxy.
    cfg_regions = ConsentConfig(**{**base, "storage_url": f"sqlite:///{tmp / 'regions.db'}"},
                                collection={"enabled": False, **geo}, regions={})
    cfg_edge = ConsentConfig(**{**base, "storage_url": f"sqlite:///{tmp / 'edge.db'}"},
                             collection={"enabled": False, **geo}, regions={"edge": "cloudflare"},
                             trusted_proxies=["10.0.0.0/8"])
    bare = bare_app()
    ck = ConsentMiddleware(bare_app(), config=cfg)
    ck_regions = ConsentMiddleware(bare_app(), config=cfg_regions)
    ck_edge = ConsentMiddleware(bare_app(), config=cfg_edge)
    ck_nocollect = ConsentMiddleware(bare_app(), config=cfg_nocollect)
    ck_default = ConsentMiddleware(bare_app(), config=cfg_default)
    sessions = SessionMiddleware(bare_app(), secret_key="s" * 40)

    # A returning visitor: valid consent cookie (all categories) and visitor/session ids.
    engine = ck.engine
    from consentkit.consent import Choice, new_id

    choice = Choice(new_id(), cfg.optional, cfg.policy_version, time.time())
    vid, sid = engine.ids.sign("visitor", new_id()), engine.ids.sign("session", new_id())
    cookie = f"ck_consent={engine.codec.encode(choice)}; ck_vid={vid}; ck_sid={sid}; _ga=GA1.1.123.456".encode()
    common = [(b"host", b"example.com"), (b"user-agent", UA.encode()), (b"accept", b"text/html"),
              (b"accept-language", b"en-GB,en;q=0.9"), (b"referer", b"https://www.google.com/search?q=x")]
    returning = scope([*common, (b"cookie", cookie)])
    edge_returning = scope([*common, (b"cf-ipcountry", b"US"), (b"cf-region-code", b"CA"), (b"cookie", cookie)],
                           client="10.0.0.1")
    newcomer = scope(common)
    session_cookie = [*common, (b"cookie", b"session=" + b"x" * 40)]

    def fixed(s: dict[str, Any]) -> Any:
        return lambda i: s

    rng = random.Random(7)
    n_brand = max(n // 5, 500)

    def unseen(i: int) -> dict[str, Any]:
        ua = UA.replace("130.0", f"{100 + i % 50}.{i}.{rng.randrange(10**6)}").encode()
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        return scope([(b"host", b"example.com"), (b"user-agent", ua), (b"accept-language", b"de-DE"),
                      (b"cookie", cookie)], client=ip)

    # Unseen user agent and IP every time, so no cache can help; made before the clock starts, so
    # making them is not counted.
    fresh = iter([unseen(i) for i in range((n_brand * rounds + 500) * repeats)])

    def brand_new(i: int) -> dict[str, Any]:
        return next(fresh)

    post = scope([(b"host", b"example.com"), (b"origin", b"https://example.com"),
                  (b"content-type", b"application/json"), *common[1:]], method="POST", path="/_consent")

    targets: dict[str, float | None] = {}
    cases: dict[str, Case] = {}
    for name, target, case in [
        ("Starlette SessionMiddleware (scale)", None, (sessions, fixed(scope(session_cookie)), n, b"")),
        ("consentkit, returning visitor, no collection", 20.0, (ck_nocollect, fixed(returning), n, b"")),
        ("consentkit, returning visitor, full collection+geo", 25.0, (ck, fixed(returning), n, b"")),
        ("consentkit, returning visitor, regions by GeoIP", None, (ck_regions, fixed(returning), n, b"")),
        ("consentkit, returning visitor, regions by edge header", None, (ck_edge, fixed(edge_returning), n, b"")),
        ("consentkit, new visitor (no cookie)", None, (ck, fixed(newcomer), n, b"")),
        ("consentkit, new visitor measured by default (ids issued)", None, (ck_default, fixed(newcomer), n, b"")),
        ("consentkit, unseen UA + IP, full collection+geo", 150.0, (ck, brand_new, n_brand, b"")),
        ("consentkit, consent POST (durable ledger write)", None, (ck, fixed(post), max(n // 10, 200),
                                                                   b'{"action":"accept_all"}')),
    ]:
        targets[name], cases[name] = target, case
    # What earlier phases queued is stored before each phase starts, so no case pays for another's.
    def flush() -> None:
        ck.engine.writer.flush()
        ck_default.engine.writer.flush()

    by_case = phases((bare, fixed(returning), n, b""), cases, rounds, repeats, before=flush)
    print(f"{'case (each against the bare app, in its own phase)':<52} {'bare':>6} {'µs/req':>7} {'extra':>6} "
          f"{'ratio':>6} {'target':>9}  extra in each repeat")
    extra: dict[str, float] = {}
    for name, target in targets.items():
        t_bare, t, over, ratio = min(by_case[name])
        extra[name] = over
        mark = "" if target is None else (f"≤{target:.0f} " + ("ok" if over <= target else "MISSED"))
        spread = ", ".join(f"{r[2]:.1f}" for r in by_case[name])
        print(f"{name:<52} {t_bare:6.1f} {t:7.1f} {over:6.1f} {ratio:6.2f} {mark:>9}  {spread}")
    print("extra: median of the rounds' differences, case minus bare app; ratio: median of their quotients; "
          f"each from the quietest of {repeats} repeats")
    t_sess = extra["Starlette SessionMiddleware (scale)"]
    print(f"scale: Starlette's SessionMiddleware adds {t_sess:.1f} µs; events queued "
          f"{engine.writer.written + engine.writer.pending}, dropped {engine.writer.dropped}")
    for mw in (ck, ck_nocollect, ck_default, ck_regions, ck_edge):
        mw.engine.close()


if __name__ == "__main__":
    main()
