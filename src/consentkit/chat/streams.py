"""Holding an HTML response back just long enough to insert the chat, for ASGI and WSGI.

Only responses the deployer planned an insertion for come here; every other response is passed on
untouched by the middlewares, without buffering.

ASGI: with a Content-Length, the start message is held, the body collected (up to the cap) and sent
as one message with the corrected length. Without one (streaming), the start goes out at once and
the last two non-empty body chunks are held back, so the insertion happens in them together: a
`</body>` in the second-to-last chunk, or split across the last two, is still found (an empty final
message, as Starlette sends, does not count); one earlier is not, and the page passes unchanged.

WSGI: `start_response` is held until the app returns. A list or tuple, or a body with a
Content-Length, is then joined and injected, and `start_response` called with the
corrected length. Any other iterable (a generator) without a Content-Length passes through untouched,
without the chat. The app's iterable is always closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from consentkit.chat.inject import charset_of, inject_html

Send = Callable[[dict[str, Any]], Awaitable[None]]
StartResponse = Callable[..., Any]


class InjectPlan:
    """What to insert into one response, and how its body may be handled."""

    __slots__ = ("_resolve", "_snippet", "cap", "content_type", "length")

    def __init__(self, snippet: str | Callable[[], str | None], content_type: str, length: int | None, cap: int
                 ) -> None:
        """`snippet`: the markup, or a function deciding it on first use (None: the chat is hidden)."""
        self._resolve = None if isinstance(snippet, str) else snippet
        self._snippet = snippet if isinstance(snippet, str) else None
        self.content_type = content_type
        self.length = length
        self.cap = cap

    @property
    def snippet(self) -> str | None:
        if self._resolve is not None:
            self._snippet, self._resolve = self._resolve() or "", None
        return self._snippet or None

    def apply(self, body: bytes) -> bytes:
        snippet = self.snippet
        if snippet is None or len(body) > self.cap:
            return body
        return inject_html(body, snippet, charset_of(self.content_type))

    def asgi(self, send: Send) -> Send:
        """The `send` to use for the rest of the response: `send` itself when the chat is hidden."""
        return send if self.snippet is None else AsgiSender(self, send)

    def wsgi(self, result: Iterable[bytes], written: list[bytes], status: str, headers: list[tuple[str, str]],
             start_response: StartResponse) -> Iterable[bytes]:
        """Call `start_response` (once) and return what to send; `written` holds what the app wrote()."""
        if (self.length is None and not isinstance(result, (list, tuple))) or self.snippet is None:
            start_response(status, headers)
            return _Prepend(written, result) if written else result
        try:
            body = b"".join([*written, *result])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        new = self.apply(body)
        if new is not body:
            headers = with_length(headers, len(new))
        start_response(status, headers)
        return [new]


def with_length(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    """The headers for a changed body: its length, and no ETag (the app's no longer describes it)."""
    out = [(k, v) for k, v in headers if k.lower() not in ("content-length", "etag")]
    out.append(("content-length", str(length)))
    return out


class AsgiSender:
    """Stands in for `send` for the rest of one response."""

    __slots__ = ("chunks", "plan", "send", "size", "start", "through")

    def __init__(self, plan: InjectPlan, send: Send) -> None:
        self.plan = plan
        self.send = send
        self.start: dict[str, Any] | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.through = False

    async def __call__(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.plan.length is not None:
                self.start = message  # sent with the corrected length once the body is complete
                return
            # Streamed: sent now, before the body is known; an ETag would not describe the changed body.
            raw = message.get("headers", [])
            await self.send({**message, "headers": [(k, v) for k, v in raw if k.lower() != b"etag"]})
            return
        if kind != "http.response.body" or self.through:
            if self.start is not None and not self.through:  # e.g. http.response.pathsend: not ours to change
                self.through = True
                await self.send(self.start)
            await self.send(message)
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.start is not None:
            await self._sized(body, more)
        else:
            await self._streamed(body, more)

    async def _sized(self, body: bytes, more: bool) -> None:
        start = self.start
        assert start is not None
        self.chunks.append(body)
        self.size += len(body)
        if self.size > self.plan.cap:  # larger than declared or than the cap: give up, unchanged
            self.through = True
            await self.send(start)
            await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more})
            return
        if more:
            return
        whole = b"".join(self.chunks)
        new = self.plan.apply(whole)
        if new is not whole:
            raw = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"etag")]
            raw.append((b"content-length", str(len(new)).encode("ascii")))
            start = {**start, "headers": raw}
        await self.send(start)
        await self.send({"type": "http.response.body", "body": new, "more_body": False})

    async def _streamed(self, body: bytes, more: bool) -> None:
        held = self.chunks
        if body:
            held.append(body)
        if more:
            if len(held) > 2:
                await self.send({"type": "http.response.body", "body": held.pop(0), "more_body": True})
            return
        last = b"".join(held)
        held.clear()
        await self.send({"type": "http.response.body", "body": self.plan.apply(last), "more_body": False})


class _Prepend:
    """What the app wrote() before returning, then its iterable; closing closes the iterable."""

    def __init__(self, first: list[bytes], inner: Iterable[bytes]) -> None:
        self._first = first
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        yield from self._first
        yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
