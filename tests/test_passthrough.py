"""What the middlewares must leave alone: websockets, lifespan, streaming, background tasks, iterables."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx2 as httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from consentkit import ConsentMiddleware, WSGIConsentMiddleware

from conftest import ORIGIN, WSGISite, asgi_site, make_config


def test_websocket_passes_through(tmp_path: Path) -> None:
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("hello " + await ws.receive_text())
        await ws.close()

    app = ConsentMiddleware(Starlette(routes=[WebSocketRoute("/ws", echo)]), config=make_config(tmp_path))
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        ws.send_text("there")
        assert ws.receive_text() == "hello there"
    app.engine.close()


def test_lifespan_passes_through_and_manages_the_writer(tmp_path: Path) -> None:
    events: list[str] = []

    async def lifespan(app: Any) -> Any:
        events.append("startup")
        yield
        events.append("shutdown")

    from contextlib import asynccontextmanager

    inner = Starlette(routes=[], lifespan=asynccontextmanager(lifespan))
    mw = ConsentMiddleware(inner, config=make_config(tmp_path))
    with TestClient(mw):
        assert events == ["startup"]
        assert mw.engine.writer.running
    assert events == ["startup", "shutdown"]
    assert not mw.engine.writer.running  # stopped and flushed on shutdown
    mw.engine.close()


def test_background_task_runs_after_the_response(tmp_path: Path) -> None:
    ran: list[str] = []

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse("<p>x</p>", background=BackgroundTask(ran.append, "done"))

    mw = ConsentMiddleware(Starlette(routes=[Route("/", page)]), config=make_config(tmp_path))
    with TestClient(mw) as client:
        assert client.get("/").text == "<p>x</p>"
    assert ran == ["done"]
    mw.engine.close()


def test_app_response_body_untouched_on_asgi(tmp_path: Path) -> None:
    mw = ConsentMiddleware(asgi_site(), config=make_config(tmp_path))
    client = TestClient(mw)
    assert client.get("/").text == "<html><body><p>hello</p></body></html>"
    mw.engine.close()


def test_wsgi_iterable_is_closed_exactly_once(tmp_path: Path) -> None:
    site = WSGISite()
    mw = WSGIConsentMiddleware(site, config=make_config(tmp_path))
    client = httpx.Client(transport=httpx.WSGITransport(app=mw), base_url="http://testserver")
    assert client.get("/").text == "<html><body><p>hello</p></body></html>"
    assert client.get("/").status_code == 200
    assert site.closed == 2
    mw.engine.close()


def test_id_cookies_are_httponly_lax_and_secure_on_https(tmp_path: Path) -> None:
    mw = ConsentMiddleware(asgi_site(), config=make_config(tmp_path))
    client = TestClient(mw, base_url="https://testserver")
    client.post("/_consent", json={"action": "accept_all"}, headers={"origin": "https://testserver"})
    r = client.get("/")
    for header in r.headers.get_list("set-cookie"):
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    plain = TestClient(mw)
    plain.post("/_consent", json={"action": "accept_all"}, headers=ORIGIN)
    assert all("Secure" not in h for h in plain.get("/").headers.get_list("set-cookie"))
    mw.engine.close()


def test_asgi_client_disconnect_during_body_read_is_not_a_crash(tmp_path: Path) -> None:
    mw = ConsentMiddleware(asgi_site(), config=make_config(tmp_path))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/_consent", "query_string": b"", "scheme": "http",
             "headers": [(b"content-type", b"application/json"), (b"host", b"x"), (b"origin", b"http://x")],
             "client": ("1.2.3.4", 1)}
    asyncio.run(mw(scope, receive, send))
    assert sent[0]["status"] == 400
    mw.engine.close()
