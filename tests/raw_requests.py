"""Whole requests as raw bytes, handed to the ASGI and the WSGI middleware as a server would."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Any

RawHeaders = list[tuple[bytes, bytes]]


@dataclass
class RawResponse:
    status: int
    headers: RawHeaders
    body: bytes

    def header_values(self, name: bytes) -> list[bytes]:
        return [v for k, v in self.headers if k.lower() == name]


def asgi_call(app: Any, method: str, path: str, headers: RawHeaders, body: bytes = b"", query: bytes = b"",
              scheme: str = "http") -> RawResponse:
    """One request through an ASGI app; headers as the server received them (names lower-cased)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode("utf-8", "surrogatepass"), "query_string": query, "root_path": "",
             "headers": [(k.lower(), v) for k, v in headers], "client": ("10.1.2.3", 4321),
             "server": ("testserver", 80), "scheme": scheme}
    sent: list[dict[str, Any]] = []
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:
            await asyncio.sleep(3600)
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return RawResponse(start["status"], list(start.get("headers", [])), content)


def wsgi_environ(method: str, path: str, headers: RawHeaders, body: bytes = b"", query: bytes = b"",
                 scheme: str = "http") -> dict[str, Any]:
    """A PEP 3333 environ; repeated headers joined with "," as gunicorn and wsgiref do."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path.encode("utf-8", "surrogatepass").decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"), "REMOTE_ADDR": "10.1.2.3", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "", "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": scheme, "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for k, v in headers:
        key = k.decode("latin-1").upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        value = v.decode("latin-1")
        environ[key] = environ[key] + "," + value if key in environ else value
    return environ


def wsgi_call(app: Any, method: str, path: str, headers: RawHeaders, body: bytes = b"", query: bytes = b"",
              scheme: str = "http") -> RawResponse:
    """One request through a WSGI app; its iterable is consumed and closed as a server does."""
    got: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, hdrs: list[tuple[str, str]], exc_info: Any = None) -> Any:
        got.append((status, list(hdrs)))
        return lambda data: None

    result = app(wsgi_environ(method, path, headers, body, query, scheme), start_response)
    try:
        content = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, hdrs = got[-1]
    return RawResponse(int(status[:3]), [(k.encode("latin-1"), v.encode("latin-1")) for k, v in hdrs], content)
