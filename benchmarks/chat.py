"""Cost of the chat: a page where the rules say hide, against the same page without chat; injection.

Run: .venv/bin/python benchmarks/chat.py [n]
CPU time in this thread (`time.thread_time()`: other processes on a shared machine do not inflate
it), per request or per call, side by side with the targets. Per request, through ASGI and in the
core alone, each case runs against the page without chat in paired rounds, five times spread over
the run; it is judged by its quietest repeat (the median of its rounds' differences there).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from middleware import Paired, phases, summary  # the runner of the sibling benchmark script
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from consentkit import ConsentConfig, ConsentMiddleware
from consentkit.chat import VisitorContext
from consentkit.chat.context import Facts
from consentkit.chat.hooks import run_hook
from consentkit.chat.inject import inject_html
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView
from consentkit.responses import response_headers

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
PAGE = "<!doctype html><html><head><title>t</title></head><body>" + "<p>hello</p>" * 20 + "</body></html>"
LIVECHAT = {"provider": "livechat", "site_id": "12345678"}
CLOSED = {"days": ["mon"], "open": "03:00", "close": "03:01"}
"""Business hours closed but for one minute a week."""


def app() -> Starlette:
    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", home)])


def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": headers,
            "client": ("81.2.69.142", 5000), "scheme": "https", "http_version": "1.1", "root_path": "",
            "server": ("bench", 443)}


def side_by_side(cases: dict[str, Any], s: dict[str, Any], n: int, rounds: int, repeats: int = 5
                 ) -> dict[str, tuple[float, float]]:
    """(median µs per request, extra over the first) of each middleware, measured as middleware.py
    measures: each against the first in its own phase of paired rounds, from its quietest repeat."""
    (base_name, base_mw), *others = cases.items()

    def make(i: int) -> dict[str, Any]:
        return dict(s)

    runs = phases((base_mw, make, n, b""), {name: (mw, make, n, b"") for name, mw in others}, rounds, repeats)
    quietest = {name: min(r) for name, r in runs.items()}
    out = {base_name: (min(q[0] for q in quietest.values()), 0.0)}
    out.update((name, (t, over)) for name, (_, t, over, _) in quietest.items())
    return out


def core_us(engines: dict[str, Engine], headers: dict[str, str], n: int, rounds: int, repeats: int = 5
            ) -> dict[str, tuple[float, float]]:
    """The same, without any framework (begin → response headers → chat plan → finish), measured
    the same way: each engine against the first in paired rounds, from its quietest repeat."""
    response = [("content-length", "300"), ("content-type", "text/html; charset=utf-8")]

    def one(engine: Engine) -> None:
        ex = engine.begin(RequestView("GET", "/", "", headers, "81.2.69.142", "https"))
        out = response_headers(engine, ex, response)
        engine.chat.plan(ex, 200, "text/html; charset=utf-8", out, None)
        engine.finish(ex, 200, "text/html; charset=utf-8")

    def timed(engine: Engine) -> float:
        t0 = time.thread_time()
        for _ in range(n):
            one(engine)
        return (time.thread_time() - t0) / n * 1e6

    (base_name, base), *others = engines.items()
    quietest: dict[str, Paired] = {}
    for _ in range(repeats):
        for name, engine in others:
            one(base)
            one(engine)
            b, c = zip(*[(timed(base), timed(engine)) for _ in range(rounds)], strict=True)
            phase = summary(list(b), list(c))
            quietest[name] = min(quietest.get(name, phase), phase)  # where the baseline ran fastest
    out = {base_name: (min(q[0] for q in quietest.values()), 0.0)}
    out.update((name, (t, extra)) for name, (_, t, extra, _) in quietest.items())
    return out


def per_call_us(fn: Callable[[], object], n: int, rounds: int) -> float:
    fn()
    results = []
    for _ in range(rounds):
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        results.append((time.thread_time() - t0) / n * 1e6)
    return statistics.median(results)


def hook_wall_us(timeout_s: float, n: int, rounds: int) -> float:
    """Wall time of one hook call (the request waits for a worker thread, so CPU time would hide it)."""
    ctx = Facts("/", time.time(), frozenset(), {}).context()
    results = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            run_hook("bench", bool, ctx, timeout_s)
        results.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(results)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = 9
    tmp = Path(tempfile.mkdtemp(prefix="ck-chat-bench-"))
    base = {"secret_keys": ["b" * 40], "collection": {"enabled": False}}

    def middleware(name: str, **extra: Any) -> ConsentMiddleware:
        return ConsentMiddleware(app(), config=ConsentConfig(**base, storage_url=f"sqlite:///{tmp / name}", **extra))

    def french_only(ctx: VisitorContext) -> bool:
        return ctx.language == "fr"

    cases = {
        "no chat configured": middleware("plain.db"),
        "page excluded (exclude_paths)": middleware("excl.db", chat={**LIVECHAT, "rules": {"exclude_paths": ["/"]}}),
        "a declarative rule says hide (languages)": middleware("rule.db",
                                                               chat={**LIVECHAT, "rules": {"languages": ["fr"]}}),
        "business hours say closed (hours)": middleware("hours.db", chat={**LIVECHAT, "rules": {"hours": CLOSED}}),
        "a hook asked on every page says hide (needs={\"language\"})": middleware("hook.db", chat=LIVECHAT),
        "the same hook, remember=True": middleware("remembered.db", chat=LIVECHAT),
        "chat shown / placeholder inserted": middleware("shown.db", chat=LIVECHAT),
    }
    per_page = "a hook asked on every page says hide (needs={\"language\"})"
    cases[per_page].engine.chat.rule(needs={"language"})(french_only)
    cases["the same hook, remember=True"].engine.chat.rule(needs={"language"}, remember=True)(french_only)
    engine = cases["no chat configured"].engine
    choice = Choice(new_id(), engine.config.optional, engine.config.policy_version, time.time())
    vid, sid = engine.ids.sign("visitor", new_id()), engine.ids.sign("session", new_id())
    cookie = f"ck_consent={engine.codec.encode(choice)}; ck_vid={vid}; ck_sid={sid}"
    visitors = {
        "consented visitor": {"host": "example.com", "user-agent": UA, "accept-language": "en-GB,en;q=0.9",
                              "cookie": cookie},
        "visitor without a choice": {"host": "example.com", "user-agent": UA, "accept-language": "en"},
    }
    print(f"{'µs per request (CPU time of this thread, median)':<62} {'µs':>7} {'extra':>7} {'target':>10}")
    for who, headers in visitors.items():
        s = scope([(k.encode(), v.encode()) for k, v in headers.items()])
        for label, results in (
            ("ASGI, Starlette app", side_by_side(cases, s, n, rounds)),
            ("core only", core_us({k: mw.engine for k, mw in cases.items()}, headers, n, rounds)),
        ):
            print(f"-- {who}, {label}")
            for name, (t, extra) in results.items():
                target = "" if name == "no chat configured" or name.startswith("chat shown") else (
                    "≤5 " + ("ok" if extra <= 5 else "MISSED"))
                print(f"   {name:<59} {t:7.1f} {extra:7.1f} {target:>10}")

    big = ("<!doctype html><html><head><title>t</title></head><body>"
           + "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n" * 1700 + "</body></html>").encode()
    snippet = '<script type="application/json" id="consentkit-chat">{}</script><script src="/c.js" async></script>'
    t_inject = per_call_us(lambda: inject_html(big, snippet, "utf-8"), max(n // 10, 200), rounds)
    mark = "≤50 " + ("ok" if t_inject <= 50 else "MISSED")
    print(f"-- injection\n   {f'inject_html into a {len(big) // 1024} KB page':<59} {t_inject:7.1f} {'':>7} {mark:>10}")
    inline, worker = hook_wall_us(0.0, n, rounds), hook_wall_us(0.05, n, rounds)
    print("-- a Python rule's call (wall time)")
    print(f"   {'inline (hook_timeout_ms = 0)':<59} {inline:7.1f}")
    print(f"   {'on a worker thread (hook_timeout_ms = 50)':<59} {worker:7.1f} {worker - inline:7.1f}")
    for mw in cases.values():
        mw.engine.close()


if __name__ == "__main__":
    main()
