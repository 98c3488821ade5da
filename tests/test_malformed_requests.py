"""Requests no browser sends: each is answered (4xx, or dropped from an event), never a 500."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.engine import Engine
from consentkit.responses import response_headers
from consentkit.storage.schema import EVENT_FIELDS
from consentkit.urls import split_url, url_path
from raw_requests import asgi_call, wsgi_call

from conftest import ORIGIN, WSGISite, asgi_site, choose, make_config

MALFORMED_URLS = ("http://[", "https://[abc]", "//a]b/", "http://[x")


def events(engine: Any) -> list[dict[str, Any]]:
    engine.writer.flush()
    rows = engine.store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events ORDER BY id")
    return [dict(zip(EVENT_FIELDS, r, strict=True)) for r in rows]


def test_a_malformed_origin_or_referer_is_a_cross_site_refusal(site: Any) -> None:
    client, engine = site()
    for url in MALFORMED_URLS:
        for header in ("origin", "referer"):
            for path in ("/_consent", "/_consent/chat/click"):
                r = client.post(path, json={"action": "accept_all"}, headers={header: url})
                assert r.status_code == 403, (path, header, url, r.text)
                assert "cross-site" in r.json()["error"]
    assert list(engine.store.ledger()) == []


def test_a_malformed_referrer_or_click_is_dropped_from_the_event(site: Any) -> None:
    client, engine = site()
    choose(client, {"action": "accept_all"})
    for url in MALFORMED_URLS:
        r = client.get("/_consent/pixel.gif", headers={"referer": url})
        assert r.status_code == 200 and r.content.startswith(b"GIF89a")
        body = {"path": "/x", "clicks": [url, "https://partner.example/a?b=1"]}
        assert client.post("/_consent/beacon", json=body, headers=ORIGIN).status_code == 204
    stored = events(engine)
    assert [e["path"] for e in stored if e["kind"] == "pixel"] == ["/"] * len(MALFORMED_URLS)
    beacons = [e for e in stored if e["kind"] == "beacon"]
    assert len(beacons) == len(MALFORMED_URLS)
    assert all(e["clicks"] == '["https://partner.example/a"]' for e in beacons)


def test_a_form_with_too_many_fields_is_a_400_naming_the_problem(site: Any) -> None:
    client, engine = site()
    form = "&".join(["grant=analytics"] * 65) + "&action=choose"
    r = client.post("/_consent", content=form.encode(), headers={
        **ORIGIN, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "more than 64 fields" in r.json()["error"]
    assert list(engine.store.ledger()) == []
    r = client.post("/_consent/beacon", content=form.encode(), headers={
        **ORIGIN, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 204


def test_request_cookie_names_that_are_not_tokens_never_reach_a_set_cookie_header(tmp_path: Path) -> None:
    """Cookies of categories not in effect are expired by name; a name with a control byte is left
    alone and counted: only RFC 6265 token names are written into a header."""
    bad = [b"_hj\x00", b"_hjA\r\nX-Evil: 1", b"_ga_\x01", b"__lc\x7f", b"_hj\xff", b"_hj a"]
    cookie = b"; ".join([*(n + b"=1" for n in bad), b"_hjGood=1"])
    for kind in ("asgi", "wsgi"):
        cfg = make_config(tmp_path, storage_url=f"sqlite:///{tmp_path / (kind + '.db')}")
        if kind == "asgi":
            mw: Any = ConsentMiddleware(asgi_site(), config=cfg)
            r = asgi_call(mw, "GET", "/", [(b"cookie", cookie)])
        else:
            mw = WSGIConsentMiddleware(WSGISite(), config=cfg)
            r = wsgi_call(mw, "GET", "/", [(b"cookie", cookie)])
        try:
            set_cookies = r.header_values(b"set-cookie")
            assert [v.split(b"=")[0] for v in set_cookies] == [b"_hjGood"], (kind, set_cookies)
            for _, value in r.headers:
                assert all(0x20 <= b < 0x7F or b == 0x09 for b in value), (kind, value)
            mw.engine.writer.flush()
            counted = {(metric, key): n for _, metric, key, n in mw.engine.store.counts("cookie.unsafe_name")}
            assert counted == {("cookie.unsafe_name", "analytics"): 5, ("cookie.unsafe_name", "chat"): 1}, kind
        finally:
            mw.engine.close()


def test_the_set_cookie_renderer_refuses_what_is_not_a_cookie_name_or_value(tmp_path: Path) -> None:
    engine = Engine(make_config(tmp_path))
    try:
        flags = engine.flags
        assert flags.expire("_ga_X1", False).startswith("_ga_X1=; Max-Age=0")
        for name, value in (("_hj\x00", ""), ("a b", ""), ("a;b", ""), ("", "x"), ("ok", "a;b"), ("ok", "\r\n")):
            with pytest.raises(ValueError, match="not a cookie name"):
                flags.render(name, value, 0, False)
    finally:
        engine.close()


@pytest.mark.parametrize("declared", ["²", "¹0", "5²", " ³ ", "-1", "5, 5"])
def test_a_content_length_that_is_not_ascii_digits_is_read_as_unknown(tmp_path: Path, declared: str) -> None:
    """"²".isdigit() is true and int("²") raises: such a length is treated as absent (the body is read
    up to the limit), in both body readers."""
    body = b'{"action": "accept_all"}'
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"content-type", b"application/json"),
               (b"content-length", declared.encode("latin-1"))]
    cfg = make_config(tmp_path)
    asgi = ConsentMiddleware(asgi_site(), config=cfg)
    wsgi = WSGIConsentMiddleware(WSGISite(), engine=asgi.engine)
    try:
        for call, app in ((asgi_call, asgi), (wsgi_call, wsgi)):
            r = call(app, "POST", "/_consent", headers, body)
            assert r.status == 200, (call.__name__, r.body)
            assert b'"choice_made":true' in r.body
    finally:
        asgi.engine.close()


def test_content_length_accepts_only_ascii_digits() -> None:
    from consentkit.http import content_length

    assert content_length(" 42 ") == 42 and content_length("0") == 0
    for bad in ("", "²", "٣", "4 2", "+4", "0x10", "1" * 19, "\uff11\uff12"):
        assert content_length(bad) is None, bad


def test_a_lone_surrogate_in_a_kept_query_value_is_stored_as_a_replacement_character(tmp_path: Path) -> None:
    from consentkit.consent import Choice, new_id
    from consentkit.http import RequestView

    engine = Engine(make_config(tmp_path, collection={"keep_query": ["q"]}))
    try:
        choice = Choice(new_id(), engine.config.optional, engine.config.policy_version, time.time())
        cookie = f"ck_consent={engine.codec.encode(choice)}"
        for query in ("q=a\ud800b", "q=\udfff&x=\ud800", "q=ok"):
            ex = engine.begin(RequestView("GET", "/p", query, {"cookie": cookie}, "10.1.2.3", "https"))
            response_headers(engine, ex, [("content-type", "text/html")])
            engine.finish(ex, 200, "text/html")
        assert [e["path"] for e in events(engine)] == ["/p?q=a%EF%BF%BDb", "/p?q=%EF%BF%BD", "/p?q=ok"]
        assert (engine.writer.dropped, engine.writer.failures) == (0, 0)
    finally:
        engine.close()


ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=80)
URLISH = st.lists(st.sampled_from(["http", "https", ":", "//", "/", "[", "]", "@", "::1", "a", "x.example", "?", "#",
                                   "%", "80", "99999", " ", "\x00", "\ud800"]), max_size=12).map("".join)


@settings(max_examples=1000)
@given(ANY_TEXT | URLISH)
def test_splitting_a_request_url_never_raises(text: str) -> None:
    parts = split_url(text)
    assert url_path(text) == (parts.path if parts is not None else "")


@settings(max_examples=500)
@given(ANY_TEXT | st.integers(min_value=0, max_value=10**20).map(str))
def test_a_content_length_is_a_number_only_when_it_is_ascii_digits(text: str) -> None:
    from consentkit.http import content_length

    value = content_length(text)
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 18:
        assert value == int(stripped)
    else:
        assert value is None


@settings(max_examples=500)
@given(ANY_TEXT)
def test_only_token_names_are_cookie_names(name: str) -> None:
    from consentkit.cookies import is_cookie_name

    if is_cookie_name(name):
        assert name.isascii() and name.isprintable() and 0 < len(name) <= 256
        assert not set(name) & set(' "(),/:;<=>?@[\\]{}')
