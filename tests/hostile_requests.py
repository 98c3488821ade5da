"""Whole hostile requests for property tests, and what must hold of every response to one.

Shared by the ASGI/WSGI and the Django properties: a request is a method, a path (consentkit's
endpoints, an app page, anything), a query, raw header bytes (names and values of any byte,
repeated, non-UTF-8, control bytes) and a body of any content type; sometimes it carries a valid
signed choice.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace

from hypothesis import strategies as st

from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import READ_HEADERS
from raw_requests import RawHeaders, RawResponse

OPTIONAL = ("preferences", "analytics", "marketing", "chat")
APP_COOKIES = {b"_ga": "analytics", b"_fbp": "marketing", b"lang": "preferences", b"sessionid": "necessary"}
"""The cookies the test apps set on every page, and the category owning each."""
ENDPOINTS = ["/_consent", "/_consent/state", "/_consent/beacon", "/_consent/pixel.gif", "/_consent/banner.js",
             "/_consent/banner.css", "/_consent/chat", "/_consent/chat.js", "/_consent/chat/click",
             "/_consent/nope", "/_consent/", "/.well-known/gpc.json"]
PAGES = ["/", "/page", "/whoami", "/_consentx", "/static/x.css"]

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FIELD_VALUE_BYTES = frozenset({0x09, *range(0x20, 0x7F), *range(0x80, 0x100)})
"""RFC 9110 field-value: visible ASCII, space, tab and obs-text; never CR, LF, NUL or another control."""

HEADER_NAMES = st.one_of(
    st.sampled_from(sorted(h.encode() for h in READ_HEADERS)),
    st.sampled_from([b"Cookie", b"DNT", b"Content-Type", b"x-other", b"transfer-encoding", b"accept"]),
    st.binary(min_size=1, max_size=12),
)
HEADER_VALUES = st.one_of(
    st.binary(max_size=120),
    st.sampled_from([
        b"1", b"1, 1", b"0", b"http://[", b"https://[abc]", b"//a]b/", b"http://testserver", b"https://testserver",
        b"http://testserver/page", b"null", b"https://evil.example", b"same-origin", b"cross-site", b"same-site",
        b"none", b"\xb2", b"12", b"99999999999999999999", b"application/json", b"text/plain",
        b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x", b"_hj\x00=1; _ga=1; lang=en",
        b"_ga_\x01=1, _hjx=2", b"\xff\xfe\x00\r\n", b"de-CH,de;q=0.9", b"Mozilla/5.0 (X11; Linux x86_64)",
        b"for=6.6.6.6", b"6.6.6.6, 10.0.0.1", b"prefetch", b"testserver", b"ck_vid=abc; ck_sid=def",
    ]),
)
BODIES = st.one_of(
    st.sampled_from([b'{"action": "accept_all"}', b"action=accept_all", b'{"path": "/x", "engaged_ms": 1}']),
    st.binary(max_size=300),
    st.sampled_from([
        b'{"action": "accept_all"}', b'{"grant": ["analytics"]}', b'{"action": "reject_all", "next": "//evil"}',
        b"action=accept_all&next=/x", b"&".join([b"grant=analytics"] * 70), b'{"path": "/x", "clicks": ["http://["]}',
        b'{"path": "/\\ud800", "engaged_ms": 1}', b"[1, 2]", b"{" * 2000, b'{"grant": "' + b"a" * 300 + b'"}',
        b'{"path": "/x", "engaged_ms": 5, "scroll": 50, "clicks": ["https://a.example/b?c=d"]}',
    ]),
    st.dictionaries(st.sampled_from(["action", "grant", "next", "lang", "source", "path", "clicks", "x"]),
                    st.one_of(st.text(max_size=20), st.lists(st.text(max_size=10), max_size=3), st.integers()),
                    max_size=4).map(lambda d: json.dumps(d).encode()),
)
QUERIES = st.one_of(st.binary(max_size=80), st.sampled_from([b"p=/x", b"p=%ff", b"v=1", b"path=//evil", b"r=http://["]))
# Weighted towards what reaches consentkit's own code: its endpoints, POSTs, bodies it understands.
PATHS = st.one_of(st.sampled_from(["/_consent", "/_consent/beacon", "/", "/whoami"]),
                  st.sampled_from(ENDPOINTS + PAGES), st.text(max_size=30).map(lambda t: "/" + t))
METHODS = st.one_of(st.sampled_from(["GET", "POST"]),
                    st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "get"]))


@dataclass
class HostileRequest:
    method: str
    path: str
    query: bytes
    headers: RawHeaders
    body: bytes
    granted: frozenset[str] | None
    """What the valid signed choice the request carries grants (None: it carries none)."""
    choice_at: int = 0
    """Where among the headers its Cookie header goes."""

    def signed(self, engine: Engine) -> HostileRequest:
        """The request with its valid choice signed by `engine`'s keys put among its headers."""
        if self.granted is None:
            return self
        choice = Choice(new_id(), self.granted, engine.config.policy_version, time.time())
        headers = list(self.headers)
        cookie = b"ck_consent=" + engine.codec.encode(choice).encode()
        headers.insert(min(self.choice_at, len(headers)), (b"cookie", cookie))
        return replace(self, headers=headers)


REQUESTS = st.builds(
    HostileRequest, METHODS, PATHS, QUERIES, st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=10), BODIES,
    st.none() | st.frozensets(st.sampled_from(OPTIONAL)), st.integers(min_value=0, max_value=10),
)
"""Hostile requests; call `signed` with the engine that will read them."""


def check_response(req: HostileRequest, r: RawResponse, required: frozenset[str]) -> None:
    """What must hold of every response: a status below 500, header bytes RFC 9110 allows, and
    nothing granted that the request's valid signed choice (or a consent POST it made) did not."""
    assert 100 <= r.status < 500, (r.status, r.body[:300])
    for name, value in r.headers:
        assert TOKEN.fullmatch(name), name
        assert set(value) <= FIELD_VALUE_BYTES, (name, value)
    set_cookies = [v.strip() for v in r.header_values(b"set-cookie")]  # Django's have a space before
    choice_set = [v for v in set_cookies if v.startswith(b"ck_consent=") and b"Max-Age=0" not in v]
    made_choice = bool(choice_set)
    if made_choice:
        assert req.method == "POST" and req.path == "/_consent", req
        assert r.status in (200, 303)
        sent = {k.lower().replace(b"_", b"-") for k, _ in req.headers}  # WSGI reads both alike
        assert sent & {b"origin", b"referer", b"sec-fetch-site"}, "a choice made by a request that says no origin"
        return
    allowed = required | (req.granted or frozenset())
    for value in set_cookies:
        name = value.partition(b"=")[0]
        if b"Max-Age=0" in value:
            continue  # an expiry takes nothing
        if name in APP_COOKIES:
            assert APP_COOKIES[name] in allowed, (name, req.granted)
        if name in (b"ck_vid", b"ck_sid"):
            assert "analytics" in allowed, (name, req.granted)
    if r.body[:1] == b"{" and b'"effective"' in r.body:
        state = json.loads(r.body)
        assert set(state["effective"]) <= allowed, (state["effective"], req.granted)
