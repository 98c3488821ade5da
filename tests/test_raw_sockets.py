"""Hostile bytes over a raw socket to real servers: uvicorn (h11 and httptools) and gunicorn.

What a server lets through reaches consentkit as it is; what it refuses never does. Either way no
reply is a 500, no response header carries a control byte, and a choice is read as it was sent.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap
import time
from collections.abc import Iterator

import pytest

from consentkit import ConsentConfig
from consentkit.consent import Choice, ChoiceCodec, new_id
from servers import BIN, Server, running

SECRET = "raw-" + "k" * 40
APP = """
    import json, os
    from consentkit import ConsentMiddleware, WSGIConsentMiddleware

    CONFIG = {"secret_keys": [os.environ["CK_SECRET"]], "storage_url": os.environ["CK_STORAGE"]}
    PAGE = [("Content-Type", "text/html"), ("Set-Cookie", "_ga=v; Path=/"), ("Set-Cookie", "sessionid=v; Path=/")]

    def state(s):
        return json.dumps({"effective": sorted(s.effective), "signals": s.signals.as_dict(),
                           "choice_made": s.choice_made}).encode()

    async def _asgi(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/whoami":
            headers, body = [(b"content-type", b"application/json")], state(scope["consentkit"])
        else:
            headers, body = [(k.lower().encode(), v.encode()) for k, v in PAGE], b"<html><body>page</body></html>"
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _wsgi(environ, start_response):
        if environ["PATH_INFO"] == "/whoami":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [state(environ["consentkit"])]
        start_response("200 OK", PAGE)
        return [b"<html><body>page</body></html>"]

    asgi = ConsentMiddleware(_asgi, config=CONFIG)
    wsgi = WSGIConsentMiddleware(_wsgi, config=CONFIG)
"""
SERVERS = {
    "uvicorn-h11": [str(BIN / "uvicorn"), "--port", "{port}", "--http", "h11", "--log-level", "warning",
                    "ckrawapp:asgi"],
    "uvicorn-httptools": [str(BIN / "uvicorn"), "--port", "{port}", "--http", "httptools", "--log-level", "warning",
                          "ckrawapp:asgi"],
    "gunicorn": [str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}", "ckrawapp:wsgi"],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app under each server; the server's log lies in a folder named after it."""
    tmp = tmp_path_factory.mktemp(request.param)
    (tmp / "ckrawapp.py").write_text(textwrap.dedent(APP).lstrip())
    path = os.pathsep.join([str(tmp), os.environ.get("PYTHONPATH", "")])
    env = {"CK_SECRET": SECRET, "CK_STORAGE": f"sqlite:///{tmp / 'raw.db'}", "PYTHONPATH": path}
    with running(SERVERS[request.param], cwd=tmp, env=env, ready="/whoami") as srv:
        yield srv


def exchange(srv: Server, raw: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Send one request as raw bytes; (status, headers, body) of the reply, or status 0 when the
    server closed the connection without one."""
    host, port = srv.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return 0, [], b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(b":") for line in lines)]
    if (b"transfer-encoding", b"chunked") in headers:
        body = dechunk(body)
    return int(status_line.split()[1]), headers, body


def dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out, data = out + data[:n], data[n + 2:]
    return out


def request(method: str, target: str, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close", *headers]
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def assert_clean(status: int, headers: list[tuple[bytes, bytes]]) -> None:
    assert status != 500 and status < 600
    for name, value in headers:
        assert all(b == 0x09 or 0x20 <= b <= 0x7E or b >= 0x80 for b in name + value), (name, value)


def signed_choice(granted: frozenset[str]) -> bytes:
    cfg = ConsentConfig(secret_keys=[SECRET], storage_url="sqlite://:memory:")
    codec = ChoiceCodec(cfg.signing_keys, cfg.policy_version, cfg.cookies.choice_days * 86400,
                        frozenset(cfg.category_keys))
    return codec.encode(Choice(new_id(), granted, cfg.policy_version, time.time())).encode()


@pytest.mark.server
def test_control_bytes_in_cookie_names_never_reach_a_response_header(server: Server) -> None:
    status, headers, _ = exchange(server, request("GET", "/", b"Cookie: _hj\x01=1; _ga_\x7f=1; _hjok=1"))
    assert_clean(status, headers)
    if "uvicorn-h11" in str(server.log):
        assert status == 200  # h11 lets \x01 and \x7f through: they reach consentkit
    if status == 200:  # the server let the bytes through: consentkit left those cookies alone
        expired = [v.partition(b"=")[0] for k, v in headers if k == b"set-cookie" and b"Max-Age=0" in v]
        assert expired == [b"_hjok"]
        assert [v.partition(b"=")[0] for k, v in headers if k == b"set-cookie" and b"Max-Age=0" not in v] == [
            b"sessionid"]


@pytest.mark.server
def test_malformed_urls_and_lengths_are_answered(server: Server) -> None:
    for raw in (
        request("POST", "/_consent", b"Origin: http://[", b"Content-Type: application/json",
                body=b'{"action": "accept_all"}'),
        request("POST", "/_consent", b"Referer: http://[x", b"Content-Type: application/json",
                body=b'{"action": "accept_all"}'),
        request("GET", "/_consent/pixel.gif", b"Referer: https://[abc]"),
        request("POST", "/_consent", b"Origin: http://127.0.0.1", b"Content-Type: application/x-www-form-urlencoded",
                body=b"&".join([b"grant=analytics"] * 70)),
        b"POST /_consent HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \xc2\xb2\r\n\r\n{}",
    ):
        status, headers, body = exchange(server, raw)
        assert_clean(status, headers)
        assert status != 200 or raw.startswith(b"GET /_consent/pixel.gif"), (raw, body)
        if b"Origin: http://[" in raw or b"Referer: http://[x" in raw:
            assert status == 403 and b"cross-site" in body
        if b"grant=analytics&grant" in raw:
            assert status == 400 and b"more than 64 fields" in body


@pytest.mark.server
def test_repeated_headers_are_read_as_sent(server: Server) -> None:
    status, _, body = exchange(server, request("GET", "/whoami", b"DNT: 1", b"DNT: 1", b"Sec-GPC: 1", b"Sec-GPC: 1"))
    assert status == 200 and json.loads(body)["signals"] == {"dnt": True, "gpc": True}, body
    value = signed_choice(frozenset({"analytics"}))
    status, _, body = exchange(server, request(
        "GET", "/whoami", b"Cookie: theme=dark", b"Cookie: ck_consent=" + value, b"Cookie: _ga=GA1.1"))
    assert status == 200, body
    state = json.loads(body)
    assert state["choice_made"] is True and "analytics" in state["effective"]
