"""Properties of the console's parsers of untrusted input: the login cookie, query strings, form
bodies, CSRF tokens, a page's redirect, the lock-out's memory. Whatever arrives, the answer is a value
or a 4xx reason, never an exception."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.console.csrf_tokens import CsrfTokens
from consentkit.console.inputs import MAX_FIELDS, BadInput, parse_form, parse_query
from consentkit.console.lockout import LoginThrottle
from consentkit.console.replies import safe_below
from consentkit.console.sessions import Login, LoginCodec, fresh
from consentkit.console_settings import USER_NAME

KEYS = ["k" * 40, "old-" * 10]
codec = LoginCodec(KEYS, "site", idle=1800, lifetime=12 * 3600)
NOW = 1_780_000_000.0


@given(st.text(max_size=2000) | st.binary(max_size=1500).map(lambda b: b.decode("latin-1")))
def test_any_cookie_value_reads_as_a_login_or_none(value: str) -> None:
    assert codec.decode(value, NOW) is None  # nothing but a signed value is ever believed


NAMES = st.from_regex(USER_NAME, fullmatch=True) | st.just("")  # what console.users allows, or no login yet


@given(NAMES, st.from_regex(r"[0-9a-f]{16}", fullmatch=True) | st.just(""), st.floats(0, 11 * 3600),
       st.floats(0, 1799))
def test_a_signed_login_reads_back_until_a_limit_passes(user: str, fingerprint: str, age: float, idle: float) -> None:
    started = NOW - age - idle
    login = Login(fresh(started).sid, user, fingerprint, started, NOW - idle)
    value = codec.encode(login)
    assert codec.decode(value, NOW) == Login(login.sid, user, fingerprint, round(started, 3), round(NOW - idle, 3))
    assert codec.decode(value, NOW - idle + 1801) is None  # idle too long
    assert codec.decode(value, started + 12 * 3600 + 1) is None  # too old
    other_site = LoginCodec(KEYS, "another-site", idle=1800, lifetime=12 * 3600)
    assert other_site.decode(value, NOW) is None


@given(st.binary(max_size=6000))
def test_any_query_string_parses_or_names_its_problem(raw: bytes) -> None:
    try:
        fields = parse_query(raw)
    except BadInput as exc:
        assert 400 <= exc.status < 500 and str(exc)
        return
    assert len(fields) <= MAX_FIELDS and all("\x00" not in k + v for k, v in fields.items())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=200), max_size=20))
def test_a_well_formed_form_reads_back_exactly(data: dict[str, str]) -> None:
    body = urlencode(data).encode("ascii")
    try:
        fields = parse_form("application/x-www-form-urlencoded; charset=utf-8", body)
    except BadInput as exc:
        assert "NUL" in str(exc) and any("\x00" in k + v for k, v in data.items()), exc
        return
    assert fields == data


@given(st.text(max_size=100), st.binary(max_size=300))
def test_any_content_type_and_body_parse_or_name_their_problem(ctype: str, body: bytes) -> None:
    try:
        parse_form(ctype, body)
    except BadInput as exc:
        assert exc.status in (400, 413, 415)


@given(st.text(max_size=40), st.text(max_size=200))
def test_a_csrf_token_is_valid_only_for_its_own_login(sid: str, submitted: str) -> None:
    tokens = CsrfTokens(KEYS, "site")
    assert tokens.valid(sid, submitted) is (bool(sid) and submitted == tokens.token(sid))
    if sid:
        assert tokens.valid(sid, tokens.token(sid)) and not tokens.valid(sid + "x", tokens.token(sid))


@given(st.sampled_from(["", "/console", "/a/b"]), st.text(max_size=300))
def test_a_redirect_stays_below_the_console_and_out_of_other_headers(base: str, path: str) -> None:
    target = safe_below(base, path)
    if target is not None:
        assert target.startswith(base + "/") and not target.startswith(base + "//")
        assert target.isascii() and all(c not in target for c in "\r\n\\\" <>")


@settings(max_examples=20)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=200))
def test_the_lock_out_remembers_a_bounded_number_of_names(names: list[str]) -> None:
    throttle = LoginThrottle(attempts=2, lockout_seconds=60, entries=50)
    for name in names:
        throttle.failed(name, "192.0.2.1", NOW)
    assert len(throttle._failures) <= 50
    assert throttle.locked_for("x", "192.0.2.1", NOW) > 0 if len(names) >= 2 else True


_APP: list[object] = []


def _hostile_client():  # type: ignore[no-untyped-def]
    """One console over an in-memory store for every example (its pages: the tests' own), and the
    cookie of an officer logged in to it."""
    from console.shell_helpers import Clock, client, console_app, console_config, log_in

    if not _APP:
        _APP.append(console_app(console_config("sqlite://:memory:"), clock=Clock()))
        officer = client(_APP[0])
        log_in(officer, "olga")
        _APP.append(officer.cookies["ck_console"])
    return client(_APP[0]), str(_APP[1])


@settings(max_examples=80, deadline=None)
@given(logged_in=st.booleans(), method=st.sampled_from(["GET", "POST"]),
       path=st.sampled_from(["/", "/login", "/logout", "/overview", "/subjects", "/static/x.css", "/nowhere"]),
       query=st.binary(max_size=300), cookie=st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
       ctype=st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain",
                              ""]), body=st.binary(max_size=300))
def test_whatever_a_client_sends_the_answer_is_never_a_server_error(logged_in: bool, method: str, path: str,
                                                                     query: bytes, cookie: str, ctype: str,
                                                                     body: bytes) -> None:
    from urllib.parse import quote_from_bytes

    c, officer = _hostile_client()
    sent = officer + "; x=" + cookie if logged_in else cookie
    raw_cookie = ("ck_console=" + sent.replace("\r", "").replace("\n", "")).encode("latin-1")
    headers = {"cookie": raw_cookie, "content-type": ctype.encode(), "accept": b"application/json"}
    url = path + "?" + quote_from_bytes(query, safe="=&%")
    r = c.request(method, url, headers=headers, content=body if method == "POST" else None)
    assert r.status_code < 500, r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
