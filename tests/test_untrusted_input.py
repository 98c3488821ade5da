"""Hypothesis: no header, cookie, body or forwarded value may raise into the host app."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit import ConsentMiddleware, WSGIConsentMiddleware
from consentkit.bodies import BadBody, parse_choice, safe_next
from consentkit.cookieparse import parse_cookie_header
from consentkit.signals import read_signals

from conftest import WSGISite, asgi_site, make_config

header_values = st.binary(max_size=300)
names = st.sampled_from([b"cookie", b"dnt", b"sec-gpc", b"x-forwarded-for", b"forwarded", b"origin", b"referer",
                         b"user-agent", b"accept-language", b"content-type", b"host", b"content-length"])
CATS = ("necessary", "analytics", "marketing")


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_cookie_header_parser_never_raises_and_keeps_names_clean(header: str) -> None:
    parsed = parse_cookie_header(header)
    assert len(parsed) <= 200
    for name in parsed:
        assert name and name == name.strip() and ";" not in name and "=" not in name


def test_cookie_header_parser_examples() -> None:
    assert parse_cookie_header('a=1; b="two"; c; =x; a=3') == {"a": "1", "b": "two"}


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["dnt", "sec-gpc"]), st.text(max_size=20)))
def test_signals_only_exact_one_counts(headers: dict[str, str]) -> None:
    s = read_signals(headers)
    assert s.dnt == any(v.strip() == "1" for v in headers.get("dnt", "").split(","))
    assert s.gpc == any(v.strip() == "1" for v in headers.get("sec-gpc", "").split(","))


@settings(max_examples=300)
@given(st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "", "x/y"]),
       st.binary(max_size=200) | st.from_regex(rb'\{"grant": \[("[a-z]{1,9}",? ?)*\]\}', fullmatch=True))
def test_choice_body_parser_raises_only_bad_body_and_never_grants_unknown(ctype: str, body: bytes) -> None:
    try:
        parsed = parse_choice(ctype, body, CATS)
    except BadBody as exc:
        assert exc.status in (400, 415) and str(exc)
    else:
        assert set(parsed.grant) <= set(CATS)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=100), st.text(max_size=100).map(lambda t: "/" + t)))
def test_safe_next_never_leaves_the_site(url: str) -> None:
    out = safe_next(url)
    assert out.startswith("/") and not out.startswith("//") and "\\" not in out
    assert out.isascii() and out.isprintable()  # a Location header takes it as it is
    if url.isascii() and url.isprintable() and out != "/":
        assert out == url  # a plain same-site path passes unchanged


def test_a_redirect_to_a_page_with_non_latin_letters_is_percent_encoded() -> None:
    assert safe_next("/日本/ü?q=é&x=1#a") == "/%E6%97%A5%E6%9C%AC/%C3%BC?q=%C3%A9&x=1#a"
    assert safe_next("/café bar") == "/caf%C3%A9%20bar"


def _scope(headers: list[tuple[bytes, bytes]], path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "query_string": b"a=%ff&utm_source=\xff",
            "headers": headers, "client": ("10.0.0.1", 1234), "scheme": "http", "http_version": "1.1",
            "root_path": "", "raw_path": path.encode()}


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("untrusted")
    cfg = make_config(tmp, trusted_proxies=["10.0.0.0/8"])
    asgi = ConsentMiddleware(asgi_site(), config=cfg)
    wsgi = WSGIConsentMiddleware(WSGISite(), config=cfg)
    yield asgi, wsgi
    asgi.engine.close()
    wsgi.engine.close()


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.lists(st.tuples(names, header_values), max_size=8), st.sampled_from(["/", "/whoami", "/_consent",
       "/_consent/state", "/_consent/beacon", "/_consent/pixel.gif"]), st.sampled_from(["GET", "POST", "HEAD"]),
       st.binary(max_size=300))
def test_garbage_never_raises_or_500s_on_either_path(
    apps: Any, headers: list[tuple[bytes, bytes]], path: str, method: str, body: bytes
) -> None:
    asgi, wsgi = apps
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asgi(_scope(headers, path, method), receive, send))
    status = sent[0]["status"]
    assert status < 500

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "a=%ff", "REMOTE_ADDR": "10.0.0.1",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "SERVER_NAME": "x", "SERVER_PORT": "80",
    }
    for k, v in headers:
        key = k.decode().upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = v.decode("latin-1")
    got: list[str] = []
    result = wsgi(environ, lambda s, h, e=None: got.append(s))
    b"".join(result)
    if hasattr(result, "close"):
        result.close()
    assert int(got[0][:3]) < 500




def _rejects(check: Any, value: str) -> bool:
    try:
        return not check(value)
    except ValueError:
        return True


@settings(max_examples=200)
@given(st.sampled_from(["\n", "\r\n", "\n<script>", " ", "\x00"]))
def test_an_accepted_value_with_a_line_end_after_it_is_refused(tail: str) -> None:
    """Python's `$` also matches before a final newline: every validator anchors at the very end."""
    from consentkit.chat.inject import pick_nonce
    from consentkit.chat.providers import check_base_url, check_site_id, check_widget_id
    from consentkit.collect.pipeline import _beacon_fields
    from consentkit.consent import is_id, new_id

    checks: list[tuple[Any, str]] = [
        (lambda v: check_site_id("livechat", v), "12345678"),
        (lambda v: check_site_id("crisp", v), "7598bf86-9ebb-46bc-8d61-be8929bbf93d"),
        (lambda v: check_site_id(None, v), "acme-1"),
        (check_widget_id, "default"),
        (check_base_url, "https://chat.example.com"),
        (lambda v: pick_nonce(v, None), "r4nd0m-n0nce"),
        (is_id, new_id()),
        (lambda v: (_beacon_fields({"path": "/", "clicks": [v]}) or ("", 0, 0, []))[3], "https://shop.example/x"),
    ]
    for check, good in checks:
        assert not _rejects(check, good), good
        assert _rejects(check, good + tail), repr(good + tail)


ANY_CODE_POINT = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())  # surrogates too


@settings(max_examples=300)
@given(st.text(alphabet=ANY_CODE_POINT, max_size=20))
def test_json_bodies_never_hand_on_text_that_cannot_be_encoded(text: str) -> None:
    """JSON may spell half a surrogate pair ("\\ud800"); no store could keep it, so such a body is refused."""
    import json

    from consentkit.bodies import parse_body

    body = json.dumps({"path": "/" + text}).encode()  # ASCII: surrogates travel as \u escapes
    try:  # what JSON makes of it: a high surrogate then a low one are one character
        expected: str | None = ("/" + text).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        expected = None  # half a pair somewhere
    try:
        data, _ = parse_body("application/json", body)
    except BadBody as exc:
        assert exc.status == 400 and "surrogate" in str(exc) and expected is None
        return
    assert data["path"] == expected
    data["path"].encode("utf-8")


def test_half_a_surrogate_pair_is_refused_and_a_whole_one_kept() -> None:
    from consentkit.bodies import parse_body

    with pytest.raises(BadBody, match="surrogate"):
        parse_body("application/json", b'{"path": "/\\ud800", "engaged_ms": 1}')
    data, _ = parse_body("application/json", b'{"path": "/\\ud83d\\ude00"}')  # a whole pair is one character
    assert data["path"] == "/\U0001f600"
