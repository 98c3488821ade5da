"""The Flask example under Werkzeug's development server (what `flask run` serves), with clients that
reset the connection once they have the response, as a browser does when it aborts a request."""

from __future__ import annotations

import runpy
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from werkzeug.serving import make_server

from consentkit.review.queries import events as stored_events
from consentkit.storage import open_store
from consentkit_flask import get_engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REDIRECTS = 40


class CloseCounter:
    """Wraps a WSGI app and counts the responses the server closed: evidence that the server really
    skipped `close()` for some of them."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.calls = 0
        self.closed = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        counter = self
        inner = self.app(environ, start_response)

        class Counted:
            def __iter__(self) -> Any:
                return iter(inner)

            def close(self) -> None:
                counter.closed += 1
                getattr(inner, "close", lambda: None)()

        return Counted()


def get_then_reset(port: int, target: str, cookie: str) -> bytes:
    """Send one GET, read the whole response, then close with an RST (SO_LINGER 0), not a FIN."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                     "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                     "Accept: text/html\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(body) < length:
            body += sock.recv(65536)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return head


@pytest.mark.server
def test_redirect_page_views_are_stored_once_when_clients_reset(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'example.db'}"
    monkeypatch.setenv("CONSENTKIT_STORAGE_URL", url)
    monkeypatch.setenv("CONSENTKIT_SECRET_KEYS", "example-test-" + "s" * 40)
    app = runpy.run_path(str(EXAMPLES / "flask_app" / "app.py"))["app"]
    counted = CloseCounter(app)
    # One request at a time: once the server has stopped, every response has been handled.
    srv = make_server("127.0.0.1", 0, counted, threaded=False)
    serving = threading.Thread(target=srv.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{srv.port}"
    try:
        with httpx.Client(base_url=base) as client:
            assert client.post("/_consent", json={"action": "accept_all"}, headers={"origin": base}).is_success
            assert client.get("/").status_code == 200
            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        assert "ck_vid=" in cookie
        for _ in range(REDIRECTS):
            head = get_then_reset(srv.port, "/theme?dark=1", cookie)
            assert head.split(b" ", 2)[1] == b"302" and b"theme=dark" in head
    finally:
        srv.shutdown()
        serving.join(10)
        srv.server_close()
        get_engine(app).close()  # writes what is still queued
    assert counted.calls == REDIRECTS + 2
    assert counted.closed < counted.calls, "no response went without close(): the resets were not exercised"
    store = open_store(url)
    try:
        paths = [e["path"] for e in stored_events(store) if e["kind"] == "pageview"]
        counts = {path: n for _, metric, path, n in store.counts("pageviews") if metric == "pageviews"}
    finally:
        store.close()
    assert paths.count("/theme") == REDIRECTS and paths.count("/") == 1
    assert counts.get("/theme") == REDIRECTS
