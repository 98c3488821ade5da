"""The console's shell on a real store (SQLite and PostgreSQL): who gets in, what each role may do,
the CSRF and allow-list refusals, the timeouts, the headers, the access log, the mount under a path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from consentkit.console.access_log import entries, verify
from consentkit.console.headers import CSP
from consentkit.console.page import ROLES as ROLE_ORDER
from consentkit.console.page import allows
from consentkit.storage import Store, open_store
from console.shell_helpers import (
    BROKEN,
    PAGES,
    PASSWORDS,
    ROLES,
    Clock,
    client,
    console_app,
    console_config,
    csrf_of,
    log_in,
    rows,
)


@pytest.fixture
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    return console_config(f"sqlite:///{tmp_path / 'ck.db'}")


def test_a_user_logs_in_and_sees_the_first_page_of_their_role(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    assert c.get("/overview").headers["location"] == "/login?next=/overview"
    r = log_in(c, "vera")
    assert r.status_code == 303 and r.headers["location"] == "/overview"
    cookie = r.headers["set-cookie"]
    assert "ck_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http: no Secure under "auto"
    page = c.get("/overview")
    assert page.status_code == 200 and "<p id=who>vera as viewer</p>" in page.text
    assert [(r[0], r[1], r[2], r[3]) for r in rows(store)] == [("vera", "viewer", "127.0.0.1", "login")]


def test_a_wrong_password_is_refused_and_logged(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    r = log_in(c, "vera", "not-it")
    assert r.status_code == 401 and "Wrong user name or password." in r.text
    assert c.get("/overview").status_code == 303  # still not logged in
    r = log_in(c, "nobody", "whatever")
    assert r.status_code == 401
    assert [(r[0], r[3]) for r in rows(store)] == [("vera", "login_refused"), ("nobody", "login_refused")]


def test_failed_logins_lock_the_user_out_even_with_the_right_password(store: Store, tmp_path: Path) -> None:
    clock = Clock()
    config = console_config(f"sqlite:///{tmp_path / 'ck.db'}", login_attempts=3, lockout_minutes=10)
    application = console_app(config, store, clock=clock)
    attacker, owner = client(application, "127.0.0.2"), client(application, "127.0.0.3")
    for _ in range(3):
        assert log_in(attacker, "olga", "guess").status_code == 401
    locked = log_in(owner, "olga")  # another address, the right password: the name is locked
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert log_in(attacker, "vera").status_code == 429  # and the address is, for every name
    clock.now += 10 * 60 + 1
    assert log_in(owner, "olga").status_code == 303
    assert "login_locked" in [r[3] for r in rows(store)]


@pytest.mark.parametrize("limit", ["idle", "absolute"])
def test_a_login_ends_after_its_idle_and_absolute_limits(store: Store, tmp_path: Path, limit: str) -> None:
    clock = Clock()
    config = console_config(f"sqlite:///{tmp_path / 'ck.db'}", session_idle_minutes=30, session_max_hours=2)
    c = client(console_app(config, store, clock=clock))
    assert log_in(c, "rex").status_code == 303
    if limit == "idle":
        clock.now += 29 * 60
        assert c.get("/log").status_code == 200  # activity moves the idle limit
        clock.now += 29 * 60
        assert c.get("/log").status_code == 200
        clock.now += 30 * 60 + 1
    else:
        for _ in range(5):  # busy for 100 minutes: never idle
            clock.now += 20 * 60
            assert c.get("/log").status_code == 200
        clock.now += 21 * 60  # 121 minutes after the login, 21 after the last request
    r = c.get("/log")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/log"


def test_a_changed_password_ends_earlier_logins(store: Store, tmp_path: Path) -> None:
    config = console_config(f"sqlite:///{tmp_path / 'ck.db'}")
    first = client(console_app(config, store))
    assert log_in(first, "olga").status_code == 303
    users = config.console.users | {"olga": config.console.users["rex"].model_copy(update={"role": "officer"})}
    changed = config.model_copy(update={"console": config.console.model_copy(update={"users": users})})
    again = client(console_app(changed, store))
    again.cookies = first.cookies
    assert again.get("/subjects").status_code == 303


def test_addresses_outside_the_allowed_networks_are_refused(store: Store, tmp_path: Path) -> None:
    config = console_config(f"sqlite:///{tmp_path / 'ck.db'}")  # loopback only by default
    r = client(console_app(config, store), "192.0.2.10").get("/login", headers={"accept": "application/json"})
    assert r.status_code == 403 and "allow_networks" in r.json()["error"]
    assert r.headers["content-security-policy"] == CSP


def test_the_allow_list_sees_the_address_behind_trusted_proxies_only(store: Store, tmp_path: Path) -> None:
    config = console_config(f"sqlite:///{tmp_path / 'ck.db'}", allow_networks=["10.1.0.0/16"])
    config = config.model_copy(update={"trusted_proxies": (__import__("ipaddress").ip_network("127.0.0.1/32"),)})
    application = console_app(config, store)
    via_proxy = client(application, "127.0.0.1")
    assert via_proxy.get("/login", headers={"x-forwarded-for": "10.1.2.3"}).status_code == 200
    assert via_proxy.get("/login", headers={"x-forwarded-for": "10.1.2.3, 192.0.2.1"}).status_code == 403
    assert via_proxy.get("/login").status_code == 403  # the proxy itself is not in the office network
    direct = client(application, "192.0.2.1")  # not a trusted proxy: its header is not believed
    assert direct.get("/login", headers={"x-forwarded-for": "10.1.2.3"}).status_code == 403
    r = log_in(via_proxy.__class__(application, client=("127.0.0.1", 1), follow_redirects=False,
                                   headers={"x-forwarded-for": "10.1.9.9"}), "vera")
    assert r.status_code == 303 and [row[2] for row in rows(store)] == ["10.1.9.9"]


def test_a_post_without_the_right_csrf_token_is_refused(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    application = console_app(config, store)
    c = client(application)
    log_in(c, "olga")
    page = c.get("/subjects")
    token = csrf_of(page)
    for data in ({"subject": "s1", "confirm": "s1"}, {"subject": "s1", "confirm": "s1", "csrf": token[:-2] + "xx"}):
        r = c.post("/subjects", data=data, headers={"accept": "application/json"})
        assert r.status_code == 403 and "CSRF token" in r.json()["error"]
    other = client(application)
    log_in(other, "olga")  # another browser's token is not this one's
    r = c.post("/subjects", data={"subject": "s1", "confirm": "s1", "csrf": csrf_of(other.get("/subjects"))})
    assert r.status_code == 403 and "CSRF token" in r.text
    login_form = client(application).post("/login", data={"name": "olga", "password": PASSWORDS["olga"]})
    assert login_form.status_code == 403  # the login form too
    ok = c.post("/subjects", data={"subject": "s1", "confirm": "s1", "csrf": token})
    assert ok.status_code == 303 and ok.headers["location"] == "/subjects?subject=s1&erased=1"
    actions = [r[3] for r in rows(store)]
    assert actions.count("csrf_refused") == 4 and actions[-1] == "subject.erase"


@pytest.mark.parametrize("role", ROLE_ORDER)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_each_role_gets_exactly_the_pages_and_actions_it_allows(tmp_path: Path, role: str, page) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'ck.db'}")
    try:
        name = next(n for n, r in ROLES.items() if r == role)
        c = client(console_app(console_config(f"sqlite:///{tmp_path / 'ck.db'}"), store))
        log_in(c, name)
        got = c.get(page.path)
        assert got.status_code == (200 if allows(role, page.role) else 403), got.text
        token = csrf_of(c.get("/overview"))
        posted = c.post(page.path, data={"csrf": token, "subject": "s", "confirm": "s"})
        if page.post_role is None:
            assert posted.status_code in (403, 405)
        else:
            assert posted.status_code == (303 if allows(role, page.post_role) else 403), posted.text
        refused = [json.loads(r[5])["path"] for r in rows(store) if r[3] == "role_refused"]
        assert (page.path in refused) == (not allows(role, page.role) or
                                          (page.post_role is not None and not allows(role, page.post_role)))
    finally:
        store.close()


def test_security_headers_are_on_every_response(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    responses = [c.get("/login"), c.get("/"), c.get("/nowhere"), c.get("/static/nothing.css"),
                 client(console_app(config, store), "192.0.2.1").get("/login")]
    log_in(c, "vera")
    responses += [c.get("/overview"), c.get("/subjects"), c.post("/overview", data={"x": "1"}), c.delete("/overview")]
    assert [r.status_code for r in responses] == [200, 303, 404, 404, 403, 200, 403, 403, 405]
    for r in responses:
        assert r.headers["content-security-policy"] == CSP
        assert "script-src" not in CSP and "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"


def test_the_access_log_records_what_users_did_and_its_chain_verifies(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    log_in(c, "olga")
    c.get("/subjects?subject=vis-1")
    c.get("/log?visitor=vis-2")
    download = c.get("/subjects?subject=vis-1&download=1")
    assert download.status_code == 200 and download.content == b'{"subject": "vis-1"}'
    assert download.headers["content-disposition"] == 'attachment; filename="subject-vis-1.json"'
    token = csrf_of(c.get("/subjects"))
    c.post("/subjects", data={"csrf": token, "subject": "vis-1", "confirm": "vis-1"})
    c.post("/logout", data={"csrf": token})
    assert c.get("/overview").status_code == 303
    got = [(r[0], r[1], r[3], r[4]) for r in rows(store)]
    assert got == [("olga", "officer", "login", ""), ("olga", "officer", "subject.view", "vis-1"),
                   ("olga", "officer", "log.filter", "vis-2"), ("olga", "officer", "subject.export", "vis-1"),
                   ("olga", "officer", "subject.erase", "vis-1"), ("olga", "officer", "logout", "")]
    verdict = verify(entries(store))
    assert verdict.ok and verdict.checked == len(got)


def test_a_download_name_that_is_not_plainly_safe_is_replaced(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    log_in(c, "olga")
    r = c.get('/subjects?subject=a"%0d%0aSet-Cookie:x=1&download=1')
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="download"'
    assert "x=1" not in r.headers.get("set-cookie", "")


def test_a_page_that_fails_or_redirects_off_site_is_a_500_of_its_own(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store, pages=PAGES + BROKEN))
    log_in(c, "vera")
    for path in ("/escape", "/fail"):
        r = c.get(path, headers={"accept": "application/json"})
        assert r.status_code == 500 and "server's log" in r.json()["error"]
        assert "location" not in r.headers


@pytest.mark.parametrize(("query", "status", "words"), [
    ("lang=%ff", 400, "not UTF-8"),
    ("a=" + "x" * 5000, 414, "longer than 4096"),
    ("&".join(f"f{i}=1" for i in range(65)), 400, "more than 64 fields"),
    ("a=%00", 400, "NUL"),
])
def test_bad_query_strings_are_4xx_naming_the_problem(store: Store, config, query: str, status: int,  # type: ignore[no-untyped-def]
                                                      words: str) -> None:
    c = client(console_app(config, store))
    log_in(c, "vera")
    r = c.get(f"/overview?{query}", headers={"accept": "application/json"})
    assert r.status_code == status and words in r.json()["error"]


def test_bad_forms_are_4xx_naming_the_problem(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    c = client(console_app(config, store))
    log_in(c, "olga")
    json_only = {"accept": "application/json"}
    r = c.post("/subjects", content=b"csrf=x", headers={**json_only, "content-type": "application/json"})
    assert r.status_code == 415 and "application/x-www-form-urlencoded" in r.json()["error"]
    r = c.post("/subjects", content=b"a=" + b"x" * 70_000,
               headers={**json_only, "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "longer than 65536" in r.json()["error"]
    form = {**json_only, "content-type": "application/x-www-form-urlencoded"}
    r = c.post("/subjects", content=b"a=\xff", headers=form)
    assert r.status_code == 400 and "non-ASCII" in r.json()["error"]


def test_the_console_works_mounted_under_a_path_of_a_site(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    async def home(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("the site")

    site = Starlette(routes=[Route("/", home), Mount("/admin/console", app=console_app(config, store))])
    c = client(site)
    assert c.get("/").text == "the site"
    assert c.get("/admin/console/").headers["location"] == "/admin/console/login"
    page = c.get("/admin/console/login")
    assert 'action="/admin/console/login"' in page.text and 'href="/admin/console/static/console.css"' in page.text
    r = log_in(c, "rex", base="/admin/console")
    assert r.status_code == 303 and r.headers["location"] == "/admin/console/overview"
    assert "Path=/admin/console/" in r.headers["set-cookie"]
    assert "vera" not in c.get("/admin/console/log").text and c.get("/admin/console/log").status_code == 200
    token = csrf_of(c.get("/admin/console/log"))
    assert c.post("/admin/console/logout", data={"csrf": token}).headers["location"] == "/admin/console/login"


def test_secure_cookies_on_https_and_when_configured(store: Store, tmp_path: Path) -> None:
    auto = console_config(f"sqlite:///{tmp_path / 'ck.db'}")
    assert "Secure" in client(console_app(auto, store), base_url="https://testserver").get("/login").headers["set-cookie"]
    forced = console_config(f"sqlite:///{tmp_path / 'ck.db'}", secure_cookies=True)
    assert "Secure" in client(console_app(forced, store)).get("/login").headers["set-cookie"]


def test_a_site_with_its_own_login_hands_the_console_its_user(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    from consentkit.console.page import User

    def authenticate(request):  # type: ignore[no-untyped-def]
        name = request.headers.get("x-test-user", "")
        return User(name, "reviewer", "ignored") if name else None

    c = client(console_app(config, store, authenticate=authenticate))
    r = c.get("/log?visitor=v9", headers={"x-test-user": "sam"})
    assert r.status_code == 200
    assert c.get("/subjects", headers={"x-test-user": "sam"}).status_code == 403
    assert c.get("/log").status_code == 403  # no user from the site: no page
    assert c.get("/login").status_code == 404  # the console's own login is off
    assert [(r[0], r[1], r[2], r[3]) for r in rows(store)][:1] == [("sam", "reviewer", "127.0.0.1", "log.filter")]


def test_a_request_without_the_login_cookie_does_not_replace_it(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    """A form posted, or a link followed, from another site arrives without the SameSite=Strict
    cookie: its answer sets none, so the browser keeps its login."""
    application = console_app(config, store)
    stranger = client(application)
    posted = stranger.post("/subjects", data={"subject": "s", "confirm": "s", "csrf": "guess"})
    followed = stranger.get("/subjects")
    assert posted.status_code == 403 and followed.status_code == 303
    assert "set-cookie" not in posted.headers and "set-cookie" not in followed.headers
    assert "ck_console=" in stranger.get("/login").headers["set-cookie"]  # the login form does set one


def _console_pages() -> tuple[Any, ...]:
    """The console's own pages, where this tree has them (they are written beside the shell)."""
    try:
        from consentkit.console.pages import PAGES as OWN
    except ModuleNotFoundError:
        return ()
    return tuple(OWN)


@pytest.mark.parametrize("role", ROLE_ORDER)
@pytest.mark.parametrize("page", _console_pages(), ids=lambda p: p.path)
def test_each_role_gets_exactly_the_console_pages_it_allows(tmp_path: Path, role: str, page: Any) -> None:
    from consentkit.console import app

    url = f"sqlite:///{tmp_path / 'ck.db'}"
    name = next(n for n, r in ROLES.items() if r == role)
    c = client(app(console_config(url), clock=Clock()))  # the console's own layout too
    log_in(c, name)
    got = c.get(page.path)
    assert got.status_code == (200 if allows(role, page.role) else 403), got.text[:500]
    if page.post_role is not None:
        token = csrf_of(got if allows(role, page.role) else c.get(c.get("/").headers["location"]))
        posted = c.post(page.path, data={"csrf": token})
        if allows(role, page.post_role):
            assert posted.status_code not in (403, 405) and posted.status_code < 500, posted.text[:500]
        else:
            assert posted.status_code == 403


def test_a_sites_login_may_be_a_coroutine_function(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    from consentkit.console.page import User

    async def authenticate(request):  # type: ignore[no-untyped-def]
        who = request.headers.get("x-test-user")
        return User(who, "officer" if who == "amy" else "admin", "") if who else None  # type: ignore[arg-type]

    c = client(console_app(config, store, authenticate=authenticate))
    assert c.get("/subjects?subject=s3", headers={"x-test-user": "amy"}).status_code == 200
    assert c.get("/subjects").status_code == 403
    assert c.get("/overview", headers={"x-test-user": "bob"}).status_code == 403  # a role the console has not
    assert [(r[0], r[1], r[3]) for r in rows(store)] == [("amy", "officer", "subject.view")]


def test_officers_read_the_access_log_and_whether_its_chain_verifies(store: Store, config) -> None:  # type: ignore[no-untyped-def]
    from consentkit.console import access_page

    application = console_app(config, store, pages=(*PAGES, access_page.PAGE))
    rex, olga = client(application), client(application)
    log_in(rex, "rex")
    rex.get("/log?visitor=<b>vis-9</b>")
    assert rex.get("/access").status_code == 403
    log_in(olga, "olga")
    page = olga.get("/access")
    assert page.status_code == 200 and "OK: 4 access log rows verified" in page.text
    assert "&lt;b&gt;vis-9&lt;/b&gt;" in page.text and "<b>vis-9" not in page.text
    only = olga.get("/access?subject=%3Cb%3Evis-9%3C%2Fb%3E").text
    # a header row, the row about the subject, and the row of this very lookup
    assert only.count("<tr>") == 3 and "log.filter" in only and "filter_access_log" in only
    store.execute("UPDATE ck_access_log SET user_name = 'someone' WHERE seq = 1")
    assert "BAD: access log row 1: content does not match its hash" in olga.get("/access").text
    assert [r[3] for r in rows(store)][-1] == "filter_access_log"
