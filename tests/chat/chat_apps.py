"""Small apps for the chat middleware tests: the same routes as ASGI (Starlette) and as plain WSGI."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from consentkit.chat import chat_html

PAGE = "<!doctype html><html><head><title>t</title></head><body><main>shop</main></body></html>"
CSP = "default-src 'self'; script-src 'nonce-fromheader123' 'self'"
HTML = "text/html; charset=utf-8"
GZIPPED = gzip.compress(PAGE.encode(), mtime=0)


def asgi_app(engine_ref: list[Any]) -> Starlette:
    async def plain(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def csp(request: Request) -> Response:
        return HTMLResponse(PAGE, headers={"content-security-policy": CSP})

    async def nonce(request: Request) -> Response:
        request.scope["csp_nonce"] = "fromscope456"
        return HTMLResponse(PAGE)

    async def gz(request: Request) -> Response:
        return Response(GZIPPED, media_type="text/html", headers={"content-encoding": "gzip"})

    async def latin(request: Request) -> Response:
        return Response("<body>Grüße</body>".encode("latin-1"), headers={"content-type": "text/html; charset=latin-1"})

    async def stream(request: Request) -> Response:
        async def gen() -> Any:
            for part in ("<html><body><p>a</p>", "<p>b</p></bo", "dy></html>"):
                yield part.encode()

        return StreamingResponse(gen(), media_type=HTML)

    async def helper(request: Request) -> Response:
        html = chat_html(engine_ref[0], request.scope["consentkit"], nonce="tplnonce")
        return HTMLResponse(PAGE.replace("</main>", f"</main>{html}"))

    routes = [Route(p, f, methods=["GET", "POST"]) for p, f in (
        ("/", plain), ("/csp", csp), ("/nonce", nonce), ("/gz", gz), ("/latin", latin), ("/stream", stream),
        ("/helper", helper), ("/other", plain), ("/excluded", plain))]
    return Starlette(routes=routes)


class WSGIApp:
    def __init__(self, engine_ref: list[Any]) -> None:
        self.engine_ref = engine_ref
        self.closed = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        app = self
        body = GZIPPED if path == "/gz" else PAGE.encode()
        headers = [("Content-Type", HTML)]
        if path == "/csp":
            headers.append(("Content-Security-Policy", CSP))
        elif path == "/nonce":
            environ["csp_nonce"] = "fromscope456"
        elif path == "/gz":
            headers.append(("Content-Encoding", "gzip"))
        elif path == "/latin":
            body = "<body>Grüße</body>".encode("latin-1")
            headers = [("Content-Type", "text/html; charset=latin-1")]
        elif path == "/helper":
            html = chat_html(self.engine_ref[0], environ["consentkit"], nonce="tplnonce")
            body = PAGE.replace("</main>", f"</main>{html}").encode()
        elif path == "/stream":  # a generator without Content-Length: passed through untouched
            start_response("200 OK", headers)

            def gen() -> Iterator[bytes]:
                try:
                    yield b"<html><body><p>a</p>"
                    yield b"<p>b</p></body></html>"
                finally:
                    app.closed += 1

            return gen()
        elif path == "/written":  # the legacy write() callable, then the rest
            write = start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
            write(body[:10])
            return [body[10:]]
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                yield body[:20]
                yield body[20:]

            def close(self) -> None:
                app.closed += 1

        return Body()
