"""Shared fixtures: one small site served through the ASGI and the WSGI middleware alike."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from consentkit import ConsentConfig, ConsentMiddleware, WSGIConsentMiddleware
from consentkit.engine import Engine
from consentkit.storage.schema import EVENT_FIELDS

pytest_plugins = ["pg"]

# Hypothesis keeps its failure database and caches under .cache/ (ignored by git), not in the checkout.
set_hypothesis_home_dir(Path(__file__).parent.parent / ".cache" / "hypothesis")

SECRET = "k" * 40
ORIGIN = {"origin": "http://testserver"}


def make_config(tmp_path: Path, **overrides: Any) -> ConsentConfig:
    data: dict[str, Any] = {"secret_keys": [SECRET], "storage_url": f"sqlite:///{tmp_path / 'ck.db'}"}
    data.update(overrides)
    return ConsentConfig(**data)


def id_cookies(engine: Engine, visitor_id: str | None, session_id: str | None = None) -> str:
    """The id cookies of a Cookie header as `engine` issues them: signed, so that it believes them."""
    cookies = engine.config.cookies
    parts = [f"{cookies.visitor_name}={engine.ids.sign('visitor', visitor_id)}"] if visitor_id else []
    if session_id:
        parts.append(f"{cookies.session_name}={engine.ids.sign('session', session_id)}")
    return "; ".join(parts)


def _state_json(state: Any) -> dict[str, Any]:
    return {
        "effective": sorted(state.effective),
        "choice_made": state.choice_made,
        "consent_id": state.consent_id,
        "signals": state.signals.as_dict(),
        "analytics": state.allows("analytics"),
    }


def _set_cookies(names: str) -> list[tuple[str, str]]:
    return [("set-cookie", f"{n}=1; Path=/") for n in names.split(",") if n]


def asgi_site() -> Starlette:
    async def page(request: Request) -> Response:
        resp = HTMLResponse("<html><body><p>hello</p></body></html>")
        for k, v in _set_cookies(request.query_params.get("set", "")):
            resp.headers.append(k, v)
        return resp

    async def whoami(request: Request) -> Response:
        return JSONResponse(_state_json(request.scope["consentkit"]))

    async def data(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def stream(request: Request) -> Response:
        async def gen() -> Any:
            for i in range(3):
                yield f"<p>{i}</p>".encode()

        return StreamingResponse(gen(), media_type="text/html")

    routes = [Route("/", page), Route("/whoami", whoami), Route("/data", data), Route("/stream", stream)]
    return Starlette(routes=routes)


class WSGISite:
    """The same routes as `asgi_site`, as a plain WSGI app that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
        site = self
        if path == "/whoami":
            body = json.dumps(_state_json(environ["consentkit"])).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path == "/data":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                yield b"<html><body><p>hello</p></body></html>"

            def close(self) -> None:
                site.closed += 1

        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *_set_cookies(query.get("set", ""))])
        return Body()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Real-browser tests last: Playwright's sync API keeps an event loop running in the main thread
    for as long as the browser lives, which other tests' `asyncio.run` cannot share."""
    items.sort(key=lambda item: "chromium" in getattr(item, "fixturenames", ()))


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # host names with parent domains, for cookies set on those (local servers only)
                 "--host-resolver-rules=MAP *.consentkit.test 127.0.0.1"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; one instance per run (Playwright's sync API allows one)."""
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is missing: run ./scripts/test, which installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def page_maker(browser: Any, base_url: str, init_script: str) -> Iterator[Callable[..., Any]]:
    """`make(**context_options)` → a page in a fresh context (fresh cookies) with `init_script` run
    before any page script and uncaught errors collected in `page.js_errors`; contexts closed on exit."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        ctx = browser.new_context(**{"base_url": base_url, **options})
        ctx.add_init_script(init_script)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(params=["asgi", "wsgi"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def site(kind: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`site(**config)` → (client, engine); the client speaks to the ASGI or the WSGI middleware."""
    made: list[tuple[Any, Engine]] = []

    def build(**overrides: Any) -> tuple[httpx.Client, Engine]:
        overrides.setdefault("storage_url", f"sqlite:///{tmp_path / f'ck{len(made)}.db'}")
        cfg = make_config(tmp_path, **overrides)
        client: httpx.Client
        if kind == "asgi":
            mw = ConsentMiddleware(asgi_site(), config=cfg)
            client = TestClient(mw, client=("127.0.0.1", 50000))
            engine = mw.engine
        else:
            wmw = WSGIConsentMiddleware(WSGISite(), config=cfg)
            client = httpx.Client(transport=httpx.WSGITransport(app=wmw), base_url="http://testserver")
            engine = wmw.engine
        made.append((client, engine))
        return client, engine

    yield build
    for client, engine in made:
        client.close()
        engine.close()


def choose(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/_consent", json=body, headers=ORIGIN)


def events(engine: Any) -> list[dict[str, Any]]:
    """Every stored event of `engine`, oldest first, once the writer has stored what it holds."""
    engine.writer.flush()
    rows = engine.store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events ORDER BY id")
    return [dict(zip(EVENT_FIELDS, r, strict=True)) for r in rows]
