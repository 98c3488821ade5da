"""The pure ASGI middleware: translation between ASGI and the core, nothing else.

Not `BaseHTTPMiddleware`: streaming bodies, background tasks, websockets and lifespan pass through
untouched; only `http.response.start` headers are rewritten.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import anyio

from consentkit import endpoints, responses
from consentkit.config import ConsentConfig
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import RequestView, content_length, headers_from_asgi, is_html

Scope = dict[str, Any]
Message = dict[str, Any]
log = logging.getLogger("consentkit")


class ConsentMiddleware:
    def __init__(
        self, app: Any, config: ConsentConfig | str | os.PathLike[str] | None = None, *, engine: Engine | None = None
    ) -> None:
        self.app = app
        self.engine = engine or Engine(config if not isinstance(config, os.PathLike) else str(config))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        engine = self.engine
        client = scope.get("client")
        request = RequestView(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers_from_asgi(scope["headers"]),
            client[0] if client else None,
            scope.get("scheme", "http"),
        )
        ex = engine.begin(request)
        scope["consentkit"] = ex.state
        if ex.own:
            await self._endpoint(ex, receive, send)
            return

        status = 0
        content_type = ""
        chat = engine.chat if engine.chat.active else None
        out = send  # replaced by the chat's buffering sender for a page it inserts into

        async def send_wrapper(message: Message) -> None:
            nonlocal status, content_type, out
            if message["type"] == "http.response.start":
                status = message["status"]
                # Only the headers consentkit rewrites are decoded; the rest stay as they are.
                kept: list[tuple[bytes, bytes]] = []
                rewritten: list[tuple[str, str]] = []
                for pair in message.get("headers", ()):
                    lk = pair[0].lower()
                    if lk == b"set-cookie" or lk == b"vary":
                        rewritten.append((lk.decode("latin-1"), pair[1].decode("latin-1")))
                    else:
                        kept.append(pair)
                        if lk == b"content-type":
                            content_type = pair[1].decode("latin-1")
                added = responses.response_headers(engine, ex, rewritten, html=is_html(content_type))
                for k, v in added:  # kept grows into the new headers; plan() reads only Content-*
                    kept.append((k.encode("latin-1"), v.encode("latin-1")))
                message["headers"] = kept
                if chat is not None:
                    plan = chat.plan(ex, status, content_type, kept, scope.get("csp_nonce"))
                    if plan is not None:
                        out = plan.asgi(send)
            await out(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                engine.finish(ex, status, content_type)

        await self.app(scope, receive, send_wrapper)

    async def _endpoint(self, ex: Exchange, receive: Any, send: Any) -> None:
        engine = self.engine
        if endpoints.needs_body(engine, ex.request):
            body = await _read_body(receive, engine.config.max_body_bytes, ex.request.header("content-length"))
            # Ledger writes are synchronous and durable: keep them off the event loop.
            reply = await anyio.to_thread.run_sync(endpoints.serve, engine, ex, body)
        else:
            reply = endpoints.serve(engine, ex, b"")
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in endpoints.reply_headers(engine, ex, reply)]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    async def _lifespan(self, scope: Scope, receive: Any, send: Any) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.engine.start()
            elif message["type"] == "lifespan.shutdown.complete":
                await anyio.to_thread.run_sync(self.engine.writer.stop)
            await send(message)

        await self.app(scope, receive, send_wrapper)


async def _read_body(receive: Any, limit: int, declared: str) -> bytes | None:
    """The request body, or None once it is known to exceed `limit` (checked before reading)."""
    length = content_length(declared)
    if length is not None and length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
