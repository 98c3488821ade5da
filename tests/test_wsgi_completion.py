"""A WSGI response's page view is recorded once, when the response is complete: its body exhausted
or its iterable closed, whichever the server does first (servers differ in which they do)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit import WSGIConsentMiddleware
from consentkit.engine import Engine

from conftest import make_config

PAGE = [b"<html><body>", b"<p>tea</p>", b"</body></html>"]


def list_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return list(PAGE)


def writing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Writes the first chunk through the legacy write() callable, then returns a generator."""
    write = start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    write(PAGE[0])

    def rest() -> Iterator[bytes]:
        yield from PAGE[1:]

    return rest()


def exhausted(result: Iterable[bytes]) -> list[bytes]:
    return list(result)


def closed(result: Iterable[bytes]) -> list[bytes]:
    result.close()  # type: ignore[attr-defined]
    return []


def exhausted_then_closed(result: Iterable[bytes]) -> list[bytes]:
    body = list(result)
    result.close()  # type: ignore[attr-defined]
    return body


def one_chunk_then_closed(result: Iterable[bytes]) -> list[bytes]:
    first = next(iter(result))
    result.close()  # type: ignore[attr-defined]
    return [first]


SERVERS = {"exhausted, never closed": exhausted, "closed, never iterated": closed,
           "exhausted, then closed": exhausted_then_closed, "one chunk, then closed": one_chunk_then_closed}


def pageviews(engine: Engine) -> int:
    engine.writer.flush()
    return sum(n for *_, n in engine.store.counts("pageviews"))


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
@pytest.mark.parametrize("app", [list_app, writing_app], ids=["list", "write+generator"])
@pytest.mark.parametrize("serve", list(SERVERS.values()), ids=list(SERVERS))
def test_a_page_view_is_recorded_once_whichever_completion_signal_comes(
    tmp_path: Path, chat: bool, app: Any, serve: Callable[[Iterable[bytes]], list[bytes]]
) -> None:
    config = make_config(tmp_path, **({"chat": LIVECHAT} if chat else {}))
    mw = WSGIConsentMiddleware(app, config=config)
    written: list[bytes] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_USER_AGENT": BROWSER, "HTTP_HOST": "t",
               "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1"}
    try:
        result = mw(environ, lambda status, headers, exc_info=None: written.append)
        body = b"".join([*written, *serve(result)])
        if serve in (exhausted, exhausted_then_closed):
            assert body.startswith(b"<html><body>") and body.endswith(b"</body></html>")
            # the chat is inserted into a list; a generator passes through it (consentkit.chat.streams)
            assert (b"consentkit-chat" in body) is (chat and app is list_app)
        assert pageviews(mw.engine) == 1
        if serve is exhausted:  # a close() after all must not record it again
            result.close()  # type: ignore[attr-defined]
            assert pageviews(mw.engine) == 1
    finally:
        mw.engine.close()


def test_an_error_in_the_body_records_the_page_view_at_close(tmp_path: Path) -> None:
    def failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        yield b"<html>"
        raise RuntimeError("template failed half-way")

    mw = WSGIConsentMiddleware(failing, config=make_config(tmp_path))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.url_scheme": "http"}
    try:
        result = mw(environ, lambda status, headers, exc_info=None: None)
        with pytest.raises(RuntimeError):
            list(result)
        assert pageviews(mw.engine) == 0  # not complete yet
        result.close()  # type: ignore[attr-defined]
        assert pageviews(mw.engine) == 1
    finally:
        mw.engine.close()
