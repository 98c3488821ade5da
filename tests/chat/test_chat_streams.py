"""The body handling on raw ASGI messages and WSGI iterables, driven directly (no HTTP client)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.chat.streams import InjectPlan

from conftest import make_config

HTML = [(b"content-type", b"text/html; charset=utf-8")]


def run_asgi(tmp_path: Path, messages: list[dict[str, Any]], **chat: Any) -> list[dict[str, Any]]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        for m in messages:
            await send(dict(m))

    mw = ConsentMiddleware(app, config=make_config(tmp_path, chat={**LIVECHAT, **chat}))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "scheme": "http",
             "headers": [(b"host", b"t"), (b"user-agent", BROWSER.encode())], "client": ("127.0.0.1", 1)}
    asyncio.run(mw(scope, receive, send))
    mw.engine.close()
    return sent


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def start(length: int | None = None) -> dict[str, Any]:
    headers = list(HTML) + ([(b"content-length", str(length).encode())] if length is not None else [])
    return {"type": "http.response.start", "status": 200, "headers": headers}


def part(body: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.response.body", "body": body, "more_body": more}


def test_sized_body_in_several_messages_gets_one_corrected_length(tmp_path: Path) -> None:
    page = b"<html><body>" + b"x" * 50 + b"</body></html>"
    sent = run_asgi(tmp_path, [start(len(page)), part(page[:20]), part(page[20:40]), part(page[40:], False)])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    length = dict(sent[0]["headers"])[b"content-length"]
    assert int(length) == len(sent[1]["body"]) > len(page) and b"consentkit-chat-ph" in sent[1]["body"]


def test_a_body_longer_than_the_cap_passes_unchanged(tmp_path: Path) -> None:
    page = b"<body>" + b"x" * 3000 + b"</body>"
    sent = run_asgi(tmp_path, [start(100), part(page[:1500]), part(page[1500:], False)], max_html_bytes=1024)
    assert body_of(sent) == page and dict(sent[0]["headers"])[b"content-length"] == b"100"


def test_streaming_with_the_end_tag_too_early_passes_unchanged(tmp_path: Path) -> None:
    chunks = [b"<html><body>a</body>", b"<!-- 1 -->", b"<!-- 2 -->", b"</html>"]
    sent = run_asgi(tmp_path, [start(), *map(part, chunks), part(b"", False)])
    assert body_of(sent) == b"".join(chunks)
    assert sent[0]["type"] == "http.response.start"  # not held: no length to fix


def test_streaming_injects_in_the_last_two_chunks(tmp_path: Path) -> None:
    chunks = [b"<html><body>", b"<p>a</p>", b"<p>b</p></BO", b"DY></html>"]
    sent = run_asgi(tmp_path, [start(), *map(part, chunks), part(b"", False)])
    body = body_of(sent)
    assert body.startswith(b'<html><body><p>a</p><p>b</p><div id="consentkit-chat-ph"')
    assert body.endswith(b"</BODY></html>")
    assert sent[-1]["more_body"] is False


def test_other_messages_flush_a_held_start(tmp_path: Path) -> None:
    sent = run_asgi(tmp_path, [start(10), {"type": "http.response.pathsend", "path": "/tmp/page.html"}])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]


def test_hidden_pages_are_not_buffered(tmp_path: Path) -> None:
    sent = run_asgi(tmp_path, [start(20), part(b"<body>x"), part(b"</body>", False)], rules={"exclude_paths": ["/"]})
    assert [m.get("body") for m in sent[1:]] == [b"<body>x", b"</body>"]  # each message as it came


def _wsgi(tmp_path: Path, app: Any, **chat: Any) -> tuple[list[Any], bytes]:
    mw = WSGIConsentMiddleware(app, config=make_config(tmp_path, chat={**LIVECHAT, **chat}))
    calls: list[Any] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_USER_AGENT": BROWSER, "HTTP_HOST": "t",
               "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1"}
    result = mw(environ, lambda status, headers, exc_info=None: calls.append((status, headers)))
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
        mw.engine.close()
    return calls, body


def test_wsgi_lazy_start_response_passes_through(tmp_path: Path) -> None:
    closed: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        try:
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "13")])
            yield b"<body></body>"
        finally:
            closed.append(True)

    calls, body = _wsgi(tmp_path, app)
    assert body == b"<body></body>" and len(calls) == 1 and closed == [True]


def test_wsgi_list_without_length_is_injected_and_given_one(tmp_path: Path) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [b"<body>", b"</body>"]

    calls, body = _wsgi(tmp_path, app)
    ((_, headers),) = calls
    assert b"consentkit-chat-ph" in body and dict(headers)["content-length"] == str(len(body))


def test_wsgi_hidden_list_is_left_as_it_was(tmp_path: Path) -> None:
    pieces = [b"<body>", b"</body>"]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return pieces

    calls, body = _wsgi(tmp_path, app, rules={"exclude_paths": ["/*"]})
    assert body == b"<body></body>" and "content-length" not in {k.lower() for k, _ in calls[0][1]}


def test_plan_decides_once_and_only_when_asked() -> None:
    asked: list[int] = []

    def resolve() -> str | None:
        asked.append(1)
        return None

    plan = InjectPlan(resolve, "text/html; charset=utf-8", None, 1024)
    assert asked == []
    assert plan.snippet is None and plan.apply(b"<body></body>") == b"<body></body>" and asked == [1]


def test_a_changed_body_loses_the_apps_etag(tmp_path: Path) -> None:
    page = b"<body></body>"
    tagged = {"type": "http.response.start", "status": 200,
              "headers": [*HTML, (b"content-length", b"13"), (b"etag", b'"v1"')]}
    sent = run_asgi(tmp_path, [tagged, part(page, False)])
    assert b"consentkit-chat" in body_of(sent) and b"etag" not in dict(sent[0]["headers"])
    unchanged = run_asgi(tmp_path, [tagged, part(b"<p>no body end</p>", False)])
    assert dict(unchanged[0]["headers"])[b"etag"] == b'"v1"'

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("ETag", '"v1"')])
        return [page]

    calls, body = _wsgi(tmp_path, app)
    assert b"consentkit-chat" in body and "etag" not in {k.lower() for k, _ in calls[0][1]}
