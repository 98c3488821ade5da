"""The client address behind proxies: one configured header, believed only from trusted peers.

Through the ASGI and the WSGI middleware, and under real uvicorn and gunicorn servers, whose own
forwarded-header handling runs before consentkit sees the request.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from consentkit import load_config
from consentkit.errors import ConfigError
from consentkit.http import PROXY_HEADERS, READ_HEADERS
from servers import running

from conftest import ORIGIN, SECRET, events

BIN = Path(sys.executable).parent
VISITOR = "81.2.69.142"
MEASURED = {"default_granted": ["analytics"], "collection": {"ip_mode": "full"}}
"""Every page view stores the address as it was found."""


# -- configuration ---------------------------------------------------------------------------------
def test_x_forwarded_for_is_the_default_and_names_are_case_insensitive() -> None:
    assert load_config(secret_keys=[SECRET]).proxy_header == "x-forwarded-for"
    assert load_config(secret_keys=[SECRET], proxy_headers=[" CF-Connecting-IP"]).proxy_header == "cf-connecting-ip"
    assert load_config(secret_keys=[SECRET], proxy_headers=[]).proxy_header is None


def test_an_unknown_header_is_refused_at_start_up_naming_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(secret_keys=[SECRET], proxy_headers=["x-client-ip"])
    (problem,) = info.value.problems
    assert problem.startswith("proxy_headers: unknown header 'x-client-ip'")
    assert "cf-connecting-ip" in problem  # says what would work


def test_two_headers_are_refused_since_a_visitor_would_pick_the_one_believed() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(secret_keys=[SECRET], proxy_headers=["forwarded", "x-forwarded-for"])
    (problem,) = info.value.problems
    assert problem.startswith("proxy_headers: name one header")


def test_proxy_headers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTKIT_PROXY_HEADERS", '["forwarded"]')
    assert load_config(secret_keys=[SECRET]).proxy_header == "forwarded"


def test_check_warns_when_every_peer_is_a_trusted_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from consentkit.cli import main

    path = tmp_path / "consentkit.toml"
    path.write_text(f'secret_keys = ["{SECRET}"]\ntrusted_proxies = ["10.0.0.0/8", "::/0"]\n')
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: trusted_proxies: ::/0 trusts every peer" in err
    assert "10.0.0.0/8 trusts" not in err


def test_every_header_a_site_may_configure_is_decoded() -> None:
    assert set(PROXY_HEADERS) <= READ_HEADERS


# -- through the middlewares -----------------------------------------------------------------------
def stored_ip(site: Any, headers: dict[str, str], **config: Any) -> str | None:
    client, engine = site(**MEASURED, **config)
    client.get("/", headers={"user-agent": "Firefox/128.0", **headers})
    (event,) = events(engine)
    return event["ip"]  # type: ignore[no-any-return]


def test_a_visitors_own_forwarded_header_does_not_beat_the_proxys_x_forwarded_for(site: Any) -> None:
    """A proxy that manages X-Forwarded-For (nginx, most load balancers) passes Forwarded through
    untouched: whatever the visitor wrote there is never the address stored."""
    headers = {"forwarded": "for=6.6.6.6", "x-forwarded-for": VISITOR}
    assert stored_ip(site, headers, trusted_proxies=["127.0.0.1/32"]) == VISITOR


def test_the_ledger_records_the_address_from_the_configured_header(site: Any) -> None:
    client, engine = site(trusted_proxies=["127.0.0.1/32"])
    client.post("/_consent", json={"action": "accept_all"},
                headers={**ORIGIN, "forwarded": "for=6.6.6.6", "x-forwarded-for": VISITOR})
    (record,) = list(engine.store.ledger())
    assert record.ip == "81.2.69.0"  # the ledger keeps the network only


def test_forwarded_when_configured_and_x_forwarded_for_then_ignored(site: Any) -> None:
    headers = {"forwarded": f'for=6.6.6.6, for="{VISITOR}:4711";proto=https', "x-forwarded-for": "7.7.7.7"}
    assert stored_ip(site, headers, trusted_proxies=["127.0.0.1/32"], proxy_headers=["forwarded"]) == VISITOR


def test_an_edge_header_is_read_when_configured(site: Any) -> None:
    headers = {"cf-connecting-ip": VISITOR, "x-forwarded-for": "7.7.7.7", "forwarded": "for=6.6.6.6"}
    assert stored_ip(site, headers, trusted_proxies=["127.0.0.1/32"], proxy_headers=["cf-connecting-ip"]) == VISITOR


def test_an_edge_header_a_site_did_not_configure_is_never_read(site: Any) -> None:
    headers = {"cf-connecting-ip": "6.6.6.6", "x-forwarded-for": VISITOR}
    assert stored_ip(site, headers, trusted_proxies=["127.0.0.1/32"]) == VISITOR


def test_no_header_is_believed_from_a_peer_that_is_not_a_trusted_proxy(site: Any) -> None:
    headers = {"x-forwarded-for": "6.6.6.6", "forwarded": "for=6.6.6.6", "cf-connecting-ip": "6.6.6.6"}
    assert stored_ip(site, headers, trusted_proxies=["10.0.0.0/8"]) == "127.0.0.1"
    assert stored_ip(site, headers, trusted_proxies=["10.0.0.0/8"], proxy_headers=["cf-connecting-ip"]) == "127.0.0.1"


# -- under real servers ----------------------------------------------------------------------------
ASGI_APP = """
    from consentkit import ConsentMiddleware

    async def page(scope, receive, send):
        if scope["type"] == "lifespan":  # consentkit stores what is queued at shutdown
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<html><body>hi</body></html>"})

    app = ConsentMiddleware(page)
"""
WSGI_APP = """
    from consentkit import WSGIConsentMiddleware

    def page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html><body>hi</body></html>"]

    app = WSGIConsentMiddleware(page)
"""


def raw_get(base: str, forwarding: str) -> None:
    """A GET over a raw socket from 127.0.0.1, the 'proxy' of these tests, with `forwarding` headers."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: example.com\r\n{forwarding}Connection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def served_ips(tmp_path: Path, argv: list[str], app: str, forwarding: str, **env: str) -> list[str]:
    """The addresses stored for one request through a real server (stopped, so its queue is stored)."""
    (tmp_path / "ckproxyapp.py").write_text(textwrap.dedent(app).lstrip())
    db = tmp_path / f"ck-{len(list(tmp_path.glob('ck-*.db')))}.db"
    environment = {
        "CONSENTKIT_SECRET_KEYS": SECRET, "CONSENTKIT_STORAGE_URL": f"sqlite:///{db}",
        "CONSENTKIT_DEFAULT_GRANTED": '["analytics"]', "CONSENTKIT_COLLECTION__IP_MODE": "full",
        "CONSENTKIT_COLLECTION__EXCLUDE_PATHS": '["/ready"]', "FORWARDED_ALLOW_IPS": "127.0.0.1,::1", **env,
    }
    with running(argv, cwd=tmp_path, env=environment, ready="/ready") as srv:
        raw_get(srv.base, forwarding)
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT ip FROM ck_events ORDER BY id")]


UVICORN = [str(BIN / "uvicorn"), "--port", "{port}", "--log-level", "warning", "ckproxyapp:app"]
GUNICORN = [str(BIN / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}", "ckproxyapp:app"]
CHAIN = f"X-Forwarded-For: 6.6.6.6, {VISITOR}\r\nForwarded: for=7.7.7.7\r\n"


@pytest.mark.server
def test_uvicorn_rewrites_the_peer_from_x_forwarded_for_before_consentkit_sees_it(tmp_path: Path) -> None:
    """uvicorn trusts 127.0.0.1 by default (--forwarded-allow-ips): the peer consentkit sees is already
    the visitor, so consentkit needs no trusted_proxies of its own, and believes no header of it."""
    assert served_ips(tmp_path, UVICORN, ASGI_APP, CHAIN) == [VISITOR]


@pytest.mark.server
def test_uvicorn_trusting_every_peer_takes_the_leftmost_address_a_visitor_wrote(tmp_path: Path) -> None:
    """Why the docs say never to run uvicorn with --forwarded-allow-ips='*' behind a proxy that
    appends to X-Forwarded-For: uvicorn then takes the leftmost entry, which the visitor wrote."""
    assert served_ips(tmp_path, [*UVICORN, "--forwarded-allow-ips", "*"], ASGI_APP, CHAIN) == ["6.6.6.6"]


@pytest.mark.server
def test_uvicorn_without_proxy_headers_leaves_the_header_to_consentkit(tmp_path: Path) -> None:
    argv = [*UVICORN, "--no-proxy-headers"]
    env = {"CONSENTKIT_TRUSTED_PROXIES": '["127.0.0.1/32"]', "CONSENTKIT_PROXY_HEADERS": '["forwarded"]'}
    forwarding = f"Forwarded: for=6.6.6.6, for={VISITOR}\r\nX-Forwarded-For: 7.7.7.7\r\n"
    assert served_ips(tmp_path, argv, ASGI_APP, forwarding, **env) == [VISITOR]
    assert served_ips(tmp_path, argv, ASGI_APP, forwarding) == ["127.0.0.1"]  # no trusted proxy: the peer


@pytest.mark.server
def test_gunicorn_keeps_the_socket_peer_so_consentkit_walks_the_chain(tmp_path: Path) -> None:
    """gunicorn's forwarded_allow_ips governs the scheme headers only: REMOTE_ADDR stays the proxy."""
    assert served_ips(tmp_path, GUNICORN, WSGI_APP, CHAIN) == ["127.0.0.1"]
    env = {"CONSENTKIT_TRUSTED_PROXIES": '["127.0.0.1/32"]'}
    assert served_ips(tmp_path, GUNICORN, WSGI_APP, CHAIN, **env) == [VISITOR]
