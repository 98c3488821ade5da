"""Headers sent more than once, as servers hand them on: read as the browser meant them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.consent import Choice, new_id
from consentkit.cookieparse import parse_cookie_header
from consentkit.signals import read_signals
from raw_requests import asgi_call, wsgi_call

from conftest import WSGISite, asgi_site, make_config


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cfg = make_config(tmp_path_factory.mktemp("repeated"))
    asgi = ConsentMiddleware(asgi_site(), config=cfg)
    wsgi = WSGIConsentMiddleware(WSGISite(), engine=asgi.engine)
    yield asgi, wsgi
    asgi.engine.close()


@pytest.mark.parametrize("call", [asgi_call, wsgi_call])
def test_dnt_and_gpc_sent_twice_are_on(apps: Any, call: Any) -> None:
    app = apps[0] if call is asgi_call else apps[1]
    headers = [(b"host", b"testserver"), (b"dnt", b"1"), (b"dnt", b"1"), (b"sec-gpc", b"1"), (b"sec-gpc", b"1")]
    state = json.loads(call(app, "GET", "/whoami", headers).body)
    assert state["signals"] == {"dnt": True, "gpc": True}


@pytest.mark.parametrize("call", [asgi_call, wsgi_call])
def test_cookie_headers_sent_separately_are_all_read(apps: Any, call: Any) -> None:
    """HTTP/2 clients send each cookie in its own header; gunicorn joins them with ","."""
    app = apps[0] if call is asgi_call else apps[1]
    engine = app.engine
    choice = Choice(new_id(), frozenset({"analytics"}), engine.config.policy_version, time.time())
    value = engine.codec.encode(choice).encode()
    headers = [(b"host", b"testserver"), (b"cookie", b"theme=dark"), (b"cookie", b"ck_consent=" + value),
               (b"cookie", b"_ga=GA1.1.1")]
    state = json.loads(call(app, "GET", "/whoami", headers).body)
    assert state["choice_made"] is True and state["analytics"] is True
    assert state["consent_id"] == choice.consent_id


def test_signal_values() -> None:
    for value, on in (("1", True), ("1, 1", True), (" 1 ,1", True), ("1,0", True), ("0", False), ("11", False),
                      ("", False), (",", False), ("1;1", False)):
        assert read_signals({"dnt": value}).dnt is on, value
        assert read_signals({"sec-gpc": value}).gpc is on, value


def test_joined_cookie_headers_and_commas_inside_values() -> None:
    assert parse_cookie_header("a=1,b=2, c=3") == {"a": "1", "b": "2", "c": "3"}
    assert parse_cookie_header("list=x,y,z; d=1") == {"list": "x,y,z", "d": "1"}
    assert parse_cookie_header('q="a, b"; e=2') == {"q": "a, b", "e": "2"}
