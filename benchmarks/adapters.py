"""Per-request overhead of each framework adapter over the same framework's bare app, in one process.

Run: .venv/bin/python benchmarks/adapters.py [requests-per-round]

Calls each app directly (WSGI for Django and Flask, ASGI for FastAPI; no network) as a returning,
consented visitor (valid consent cookie, visitor and session ids) with full collection, IP hashing
and GeoIP lookups on. Prints medians of several interleaved rounds, in µs of CPU time of the serving
thread, and for scale the overhead of Django's own SessionMiddleware and of the core ASGI and WSGI
middlewares over bare callables. Events are built and queued within the measurement; the background
writer stores them afterwards.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAXMIND = ROOT / "tests" / "data" / "maxmind"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
PAGE = "<!doctype html><html><head><title>t</title></head><body>" + "<p>hello</p>" * 20 + "</body></html>"
SECRET = "b" * 40
DJANGO_TARGET = 60.0
TMP = Path(tempfile.mkdtemp(prefix="ck-adapters-"))


def consent_config(name: str) -> dict[str, Any]:
    # The writer thread stores the queued events after the measurement (a long interval, a big batch):
    # its work is off the request path by design, and would only add noise on a shared machine.
    collection: dict[str, Any] = {"ip_mode": "hash", "queue_size": 1_000_000, "batch_size": 100_000,
                                  "flush_interval_ms": 600_000}
    if MAXMIND.exists():
        collection |= {"geoip_city_db": str(MAXMIND / "GeoIP2-City-Test.mmdb"),
                       "geoip_asn_db": str(MAXMIND / "GeoLite2-ASN-Test.mmdb")}
    return {"secret_keys": [SECRET], "storage_url": f"sqlite:///{TMP / (name + '.db')}", "collection": collection}


def visitor_cookie() -> str:
    """A returning visitor who accepted everything: the same cookie verifies for every engine (same key)."""
    from consentkit.configfile import load_config
    from consentkit.consent import Choice, ChoiceCodec, new_id
    from consentkit.ids import IdSigner

    cfg = load_config(consent_config("cookie"))
    codec = ChoiceCodec(cfg.signing_keys, cfg.policy_version, 86400, frozenset(cfg.category_keys), site_id=cfg.site_id)
    value = codec.encode(Choice(new_id(), cfg.optional, cfg.policy_version, time.time()))
    ids = IdSigner(cfg.signing_keys, cfg.site_id or "")
    vid, sid = ids.sign("visitor", new_id()), ids.sign("session", new_id())
    return f"ck_consent={value}; ck_vid={vid}; ck_sid={sid}; _ga=GA1.1.123.456"


COOKIE = visitor_cookie()
HEADERS = {"host": "example.com", "user-agent": UA, "accept": "text/html", "accept-language": "en-GB,en;q=0.9",
           "referer": "https://www.google.com/search?q=x", "cookie": COOKIE}


# -- WSGI ------------------------------------------------------------------------------------------------
def environ(extra_cookie: str = "") -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "example.com",
        "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "81.2.69.142", "SCRIPT_NAME": "",
        "wsgi.url_scheme": "https", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for k, v in HEADERS.items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    if extra_cookie:
        env["HTTP_COOKIE"] += "; " + extra_cookie
    return env


def wsgi_runner(app: Callable[..., Any], env: dict[str, Any]) -> Callable[[int], float]:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    def run(n: int) -> float:
        t0 = time.thread_time()
        for _ in range(n):
            result = app(dict(env), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return (time.thread_time() - t0) / n * 1e6

    return run


# -- ASGI ------------------------------------------------------------------------------------------------
def asgi_runner(app: Any) -> Callable[[int], float]:
    headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": headers,
             "client": ("81.2.69.142", 5000), "scheme": "https", "http_version": "1.1", "root_path": "",
             "server": ("example.com", 443)}
    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def many(n: int) -> float:
        t0 = time.thread_time()
        for _ in range(n):
            await app(dict(scope), receive, send)
        return (time.thread_time() - t0) / n * 1e6

    return lambda n: loop.run_until_complete(many(n))


# -- the sites ---------------------------------------------------------------------------------------------
def django_handlers() -> dict[str, Callable[..., Any]]:
    import django
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    def home(request: HttpRequest) -> HttpResponse:
        return HttpResponse(PAGE)

    def with_session(request: HttpRequest) -> HttpResponse:
        request.session.get("cart")  # a view that reads its visitor's session
        return HttpResponse(PAGE)

    module = sys.modules[__name__]
    module.urlpatterns = [path("", home), path("s", with_session)]  # type: ignore[attr-defined]
    settings.configure(
        SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__,
        INSTALLED_APPS=["consentkit_django"],
        MIDDLEWARE=[], DATABASES={}, USE_TZ=True, CONSENTKIT=consent_config("django"),
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    )
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    def handler(*middleware: str) -> WSGIHandler:
        with override_settings(MIDDLEWARE=list(middleware)):
            return WSGIHandler()

    return {
        "bare": handler(),
        "consentkit": handler("consentkit_django.middleware.ConsentMiddleware"),
        "session": handler("django.contrib.sessions.middleware.SessionMiddleware"),
    }


def django_session_cookie() -> str:
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    store = SessionStore()
    store["cart"] = [1, 2, 3]
    store.save()
    return f"sessionid={store.session_key}"


def flask_apps() -> tuple[Any, Any, Any]:
    from flask import Flask

    from consentkit_flask import ConsentKit, get_engine

    def make() -> Flask:
        app = Flask("bench")

        @app.get("/")
        def home() -> str:
            return PAGE

        return app

    bare = make()
    ck = make()
    ck.config["CONSENTKIT"] = consent_config("flask")
    ConsentKit(ck)
    return bare, ck, get_engine(ck)


def fastapi_apps() -> tuple[Any, Any, Any]:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from consentkit_fastapi import install

    def make() -> FastAPI:
        app = FastAPI()

        @app.get("/", response_class=HTMLResponse)
        async def home() -> HTMLResponse:
            return HTMLResponse(PAGE)

        return app

    bare = make()
    ck = make()
    engine = install(ck, consent_config("fastapi"))
    return bare, ck, engine


def core_apps() -> tuple[Any, Any, Any, Any, list[Any]]:
    from consentkit import ConsentMiddleware, WSGIConsentMiddleware
    from consentkit.engine import Engine

    body = PAGE.encode()

    def bare_wsgi(env: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    async def bare_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    wsgi_engine = Engine(consent_config("core-wsgi"))
    asgi_engine = Engine(consent_config("core-asgi"))
    return (bare_wsgi, WSGIConsentMiddleware(bare_wsgi, engine=wsgi_engine), bare_asgi,
            ConsentMiddleware(bare_asgi, engine=asgi_engine), [wsgi_engine, asgi_engine])


def measure(runners: dict[str, Callable[[int], float]], n: int, rounds: int) -> dict[str, list[float]]:
    for run in runners.values():
        run(min(n, 500))  # warm caches
    out: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(rounds):
        for name, run in runners.items():  # interleaved, so that a busy moment hits every case alike
            out[name].append(run(n))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = 7
    dj = django_handlers()
    session_env = environ(django_session_cookie())
    session_env["PATH_INFO"] = "/s"
    bare_flask, ck_flask, flask_engine = flask_apps()
    bare_fastapi, ck_fastapi, fastapi_engine = fastapi_apps()
    bare_wsgi, core_wsgi, bare_asgi, core_asgi, core_engines = core_apps()

    runners = {
        "django bare": wsgi_runner(dj["bare"], environ()),
        "django consentkit": wsgi_runner(dj["consentkit"], environ()),
        "django session": wsgi_runner(dj["session"], session_env),
        "flask bare": wsgi_runner(bare_flask, environ()),
        "flask consentkit": wsgi_runner(ck_flask, environ()),
        "fastapi bare": asgi_runner(bare_fastapi),
        "fastapi consentkit": asgi_runner(ck_fastapi),
        "wsgi bare": wsgi_runner(bare_wsgi, environ()),
        "wsgi core": wsgi_runner(core_wsgi, environ()),
        "asgi bare": asgi_runner(bare_asgi),
        "asgi core": asgi_runner(core_asgi),
    }
    res = measure(runners, n, rounds)

    def med(name: str) -> float:
        return statistics.median(res[name])

    def over(name: str, base: str) -> float:
        return statistics.median(a - b for a, b in zip(res[name], res[base], strict=True))

    geo = "with GeoIP" if MAXMIND.exists() else "no GeoIP databases found"
    print(f"returning consented visitor, full collection ({geo}); {n} requests x {rounds} rounds, "
          "medians, µs CPU per request")
    print(f"{'':<36}{'bare':>9}{'adapter':>9}{'overhead':>10}{'target':>12}")
    rows = [
        ("Django (WSGI handler)", "django bare", "django consentkit", DJANGO_TARGET),
        ("Flask (WSGI)", "flask bare", "flask consentkit", None),
        ("FastAPI (ASGI)", "fastapi bare", "fastapi consentkit", None),
    ]
    for label, base, name, target in rows:
        o = over(name, base)
        mark = "" if target is None else f"≤{target:.0f} " + ("ok" if o <= target else "MISSED")
        print(f"{label:<36}{med(base):9.1f}{med(name):9.1f}{o:10.1f}{mark:>12}")
    print("for scale:")
    print(f"{'  Django SessionMiddleware (read)':<36}{med('django bare'):9.1f}{med('django session'):9.1f}"
          f"{over('django session', 'django bare'):10.1f}")
    print(f"{'  core WSGI middleware':<36}{med('wsgi bare'):9.1f}{med('wsgi core'):9.1f}"
          f"{over('wsgi core', 'wsgi bare'):10.1f}")
    print(f"{'  core ASGI middleware':<36}{med('asgi bare'):9.1f}{med('asgi core'):9.1f}"
          f"{over('asgi core', 'asgi bare'):10.1f}")
    from consentkit_django.conf import reset

    reset()
    for engine in (flask_engine, fastapi_engine, *core_engines):
        engine.close()


if __name__ == "__main__":
    main()
