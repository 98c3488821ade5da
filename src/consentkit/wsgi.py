"""The WSGI middleware: translation between WSGI and the core; the app's iterable is closed properly,
and each response's page view recorded once, when the response is complete (`_Closing`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from consentkit import endpoints, responses
from consentkit.config import ConsentConfig
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import RequestView, content_length, headers_from_environ

log = logging.getLogger("consentkit")
StartResponse = Callable[..., Any]
_REASONS = {200: "OK", 204: "No Content", 303: "See Other", 304: "Not Modified", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large",
            415: "Unsupported Media Type", 429: "Too Many Requests", 503: "Service Unavailable"}


class WSGIConsentMiddleware:
    def __init__(
        self, app: Callable[..., Iterable[bytes]], config: ConsentConfig | str | os.PathLike[str] | None = None,
        *, engine: Engine | None = None,
    ) -> None:
        self.app = app
        self.engine = engine or Engine(config if not isinstance(config, os.PathLike) else str(config))
        self.engine.start()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        engine = self.engine
        path = environ.get("PATH_INFO", "") or "/"
        if not path.isascii():  # PEP 3333: UTF-8 bytes read as latin-1; ASGI servers hand over the text
            path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        request = RequestView(
            environ.get("REQUEST_METHOD", "GET"),
            path,
            environ.get("QUERY_STRING", ""),
            headers_from_environ(environ, None, engine.environ_keys),
            environ.get("REMOTE_ADDR") or None,
            environ.get("wsgi.url_scheme", "http"),
        )
        ex = engine.begin(request)
        environ["consentkit"] = ex.state
        if ex.own:
            return self._endpoint(ex, environ, start_response)

        seen: dict[str, Any] = {"status": 0, "ctype": "", "calling": True, "chat": None}
        chat = engine.chat if engine.chat.active else None
        written: list[bytes] = []

        def start_wrapper(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status[:3]) if status[:3].isdigit() else 0
            headers = responses.response_headers(engine, ex, list(headers))
            for k, v in headers:
                if k.lower() == "content-type":
                    seen["ctype"] = v
            if chat is not None and exc_info is None and seen["calling"]:
                plan = chat.plan(ex, seen["status"], seen["ctype"], headers, environ.get("csp_nonce"), defer=True)
                if plan is not None:  # start_response waits until the body is known: consentkit.chat.streams
                    seen["chat"] = (plan, status, headers)
                    return written.append
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, start_wrapper)
        seen["calling"] = False
        if seen["chat"] is not None:
            plan, status, headers = seen["chat"]
            result = plan.wsgi(result, written, status, headers, start_response)
        return _Closing(result, lambda: engine.finish(ex, seen["status"], seen["ctype"]))

    def _endpoint(self, ex: Exchange, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        engine = self.engine
        body: bytes | None = b""
        if endpoints.needs_body(engine, ex.request):
            body = _read_body(environ, engine.config.max_body_bytes)
        reply = endpoints.serve(engine, ex, body)
        start_response(f"{reply.status} {_REASONS.get(reply.status, 'OK')}", endpoints.reply_headers(engine, ex, reply))
        return [reply.body]


def _read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    declared = content_length(str(environ.get("CONTENT_LENGTH") or ""))
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if declared is not None:
        if declared > limit:
            return None
        return bytes(stream.read(declared))
    data = bytes(stream.read(limit + 1))  # chunked or unknown length: read at most one byte too many
    return None if len(data) > limit else data


class _Closing:
    """Wraps the app's iterable: passes it through and closes it; `after` (the page view) runs
    exactly once, when the response is complete: the body is exhausted or `close()` is called,
    whichever comes first, as the ASGI middleware records on the last body message.

    Both signals are needed: Werkzeug's development server skips `close()` when the client resets
    the connection after reading the response, and a server may close without iterating (HEAD, an
    error before the body). Both come from the thread serving the response.
    """

    __slots__ = ("_after", "_inner")

    def __init__(self, inner: Iterable[bytes], after: Callable[[], None]) -> None:
        self._inner = inner
        self._after: Callable[[], None] | None = after

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner
        self._complete()

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._complete()

    def _complete(self) -> None:
        after, self._after = self._after, None
        if after is not None:
            after()
