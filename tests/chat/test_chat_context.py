"""The visitor context: fields only from groups in effect; visits remembered only with the session id's consent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit.chat.context import ALL_FIELDS, FIELD_GROUPS
from consentkit.chat.visits import Visits
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.http import RequestView

from conftest import id_cookies, make_config

MAXMIND = Path(__file__).parents[1] / "data" / "maxmind"
GEO = {"geoip_city_db": str(MAXMIND / "GeoIP2-City-Test.mmdb")}


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    eng = Engine(make_config(tmp_path, chat=LIVECHAT, collection=GEO, trusted_proxies=["0.0.0.0/0"]))
    yield eng
    eng.close()


def request(engine: Engine, granted: set[str] | None, *, cookies: str = "", **headers: str) -> Any:
    if granted is not None:
        choice = Choice(new_id(), frozenset(granted), "1", 1.7e9 + 3e7)
        cookies = f"ck_consent={engine.codec.encode(choice)}; {cookies}"
    h = {"user-agent": BROWSER, "accept-language": "de-CH", "x-forwarded-for": "81.2.69.142", "cookie": cookies,
         **headers}
    return engine.begin(RequestView("GET", "/p", "", h, "10.0.0.1"))


def build(engine: Engine, ex: Any) -> Any:
    builder = engine.chat.builder
    return builder.facts(ex, builder.allowed(ex.groups, ALL_FIELDS), current_page=True, path="/p").context()


def test_every_field_has_a_group_and_is_none_without_consent(engine: Engine) -> None:
    assert set(FIELD_GROUPS.values()) <= {"geo", "language", "device", "browser", "visitor_id", "session_id", "ip"}
    ctx = build(engine, request(engine, None))
    assert all(getattr(ctx, f) is None for f in ALL_FIELDS)
    assert ctx.path == "/p" and ctx.categories == frozenset({"necessary"})


def test_granted_groups_fill_their_fields(engine: Engine) -> None:
    ctx = build(engine, request(engine, {"analytics"}))
    assert (ctx.country, ctx.language, ctx.device, ctx.browser, ctx.ip) == ("GB", "de", "desktop", "Firefox",
                                                                            "81.2.69.142")
    assert ctx.page_views == 1 and ctx.seconds_on_site == 0 and ctx.returning is False and ctx.is_bot is False


def test_signals_empty_the_context_even_with_a_grant(engine: Engine) -> None:
    for signal in ({"dnt": "1"}, {"sec-gpc": "1"}):
        ctx = build(engine, request(engine, {"analytics", "chat"}, **signal))
        assert all(getattr(ctx, f) is None for f in ALL_FIELDS)


def test_visits_are_fed_only_with_the_session_ids_consent(engine: Engine) -> None:
    chat = engine.chat
    ex = request(engine, {"chat"})
    engine.finish(ex, 200, "text/html; charset=utf-8")
    assert len(chat.visits) == 0
    ex = request(engine, {"analytics"})
    engine.finish(ex, 200, "text/html")
    engine.finish(request(engine, {"analytics"}, cookies=id_cookies(engine, ex.visitor_id, ex.session_id)), 200,
                  "application/json")  # not a page view
    visit = chat.visits.get(ex.session_id)
    assert visit is not None and visit.views == 1 and visit.returning is False and list(visit.pages) == ["/p"]
    again = request(engine, {"analytics"}, cookies=id_cookies(engine, ex.visitor_id, ex.session_id))
    ctx = build(engine, again)
    assert ctx.page_views == 2 and ctx.pages == ("/p", "/p") and ctx.returning is False


def test_returning_means_the_visitor_cookie_predates_the_visit(engine: Engine) -> None:
    vid = new_id()
    ctx = build(engine, request(engine, {"analytics"}, cookies=id_cookies(engine, vid)))  # new session, known visitor
    assert ctx.returning is True
    unknown = build(engine, request(engine, {"analytics"}, cookies=id_cookies(engine, vid, new_id())))
    assert unknown.returning is None  # a visit this process has not seen: not known


def test_visits_are_bounded_and_forget_idle_ones() -> None:
    visits = Visits(2, idle_s=60)
    for sid in ("a", "b", "c"):
        visits.record(sid, "/" + sid, 1000.0, lambda _: None, None)
    assert len(visits) == 2 and visits.get("a", 1000.0) is None
    assert visits.get("c", 1059.0) is not None and visits.get("c", 1061.0) is None
    for i in range(15):
        visits.record("c", f"/{i}", 1000.0, lambda _: True, None)
    visit = visits.get("c", 1000.0)
    assert visit is not None and len(visit.pages) == 10 and visit.pages[-1] == "/14" and visit.views == 16
    assert visit.returning is None  # set when the visit began, not by later page views


def test_the_least_recently_seen_visit_is_forgotten_first() -> None:
    visits = Visits(2, idle_s=60)
    visits.record("old", "/", 1000.0, lambda _: None, None)
    visits.record("new", "/", 1001.0, lambda _: None, None)
    visits.record("old", "/again", 1002.0, lambda _: None, None)  # "old" seen since "new"
    visits.record("third", "/", 1003.0, lambda _: None, None)
    assert visits.get("new", 1003.0) is None
    kept = visits.get("old", 1003.0)
    assert kept is not None and kept.views == 2


def test_visits_are_tracked_only_while_something_reads_them(tmp_path: Path) -> None:
    eng = Engine(make_config(tmp_path, chat={**LIVECHAT, "prechat_fields": ["language"]}, collection=GEO))
    try:
        ex = request(eng, {"analytics"})
        eng.finish(ex, 200, "text/html")
        assert len(eng.chat.visits) == 0  # no rule, hook or pre-chat field reads visit data

        @eng.chat.rule(needs={"page_views"})
        def third_page(ctx: Any) -> bool | None:
            return None if ctx.page_views is None else ctx.page_views >= 3

        eng.finish(request(eng, {"analytics"}), 200, "text/html")
        assert len(eng.chat.visits) == 1
    finally:
        eng.close()
