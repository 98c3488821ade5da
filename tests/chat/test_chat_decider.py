"""Deciding fast without deciding wrong: remembered verdicts follow their inputs, fields are computed when read."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.chat_helpers import BROWSER, LIVECHAT
from consentkit.chat import context as context_module
from consentkit.chat.outcome import ChatDecision, Reason
from consentkit.consent import Choice, new_id
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import RequestView
from consentkit.responses import response_headers

from conftest import id_cookies, make_config

MAXMIND = Path(__file__).parents[1] / "data" / "maxmind"
GEO = {"geoip_city_db": str(MAXMIND / "GeoIP2-City-Test.mmdb")}
PAGE = [("content-type", "text/html; charset=utf-8"), ("content-length", "100")]


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(rules: dict[str, Any], **overrides: Any) -> Engine:
        cfg = make_config(tmp_path, storage_url=f"sqlite:///{tmp_path / f'd{len(made)}.db'}",
                          chat={**LIVECHAT, "rules": rules}, **overrides)
        made.append(Engine(cfg))
        return made[-1]

    yield make
    for engine in made:
        engine.close()


@overload
def page(engine: Engine, path: str = "/", granted: set[str] | None = None, client: str = "81.2.69.142",
         decide: Literal[True] = True, **headers: str) -> tuple[Exchange, ChatDecision]: ...
@overload
def page(engine: Engine, path: str = "/", granted: set[str] | None = None, client: str = "81.2.69.142",
         *, decide: bool, **headers: str) -> tuple[Exchange, ChatDecision | None]: ...


def page(engine: Engine, path: str = "/", granted: set[str] | None = None, client: str = "81.2.69.142",
         decide: bool = True, **headers: str) -> tuple[Exchange, ChatDecision | None]:
    """One HTML page through the core: begin, the chat's plan, finish; with the decision it got.
    Without `decide`, the page is served with no chat decision (the app placing no chat_html())."""
    h = {"user-agent": BROWSER, **headers}
    if granted is not None:
        choice = Choice(new_id(), frozenset(granted), "1", 1.7e9 + 3e7)
        h["cookie"] = "; ".join(filter(None, [f"ck_consent={engine.codec.encode(choice)}", headers.get("cookie")]))
    ex = engine.begin(RequestView("GET", path, "", h, client, "https"))
    if not decide:
        engine.finish(ex, 200, "text/html; charset=utf-8")
        return ex, ex.chat
    engine.chat.plan(ex, 200, "text/html; charset=utf-8", response_headers(engine, ex, list(PAGE)))
    decision = engine.chat.decide(ex)  # the one plan made, not a second one
    engine.finish(ex, 200, "text/html; charset=utf-8")
    return ex, decision


def said(decision: ChatDecision) -> list[tuple[str, str]]:
    return [(r.rule, r.says) for r in decision.reasons]


def test_a_remembered_verdict_follows_the_header_it_is_made_of(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"languages": ["fr"]})
    for _ in range(2):  # the second round comes from the remembered verdicts
        assert page(engine, granted={"analytics"}, **{"accept-language": "fr-CH"})[1].outcome == "placeholder"
        en = page(engine, granted={"analytics"}, **{"accept-language": "en"})[1]
        assert en.outcome == "hide" and en.reasons == (Reason("languages", "hide", "language en"),)
        missing = page(engine, granted={"analytics"})[1]  # no Accept-Language at all
        assert missing.outcome == "hide" and "not known" in missing.reasons[0].detail
        # The same header without the language's consent: not known, whatever it says.
        anonymous = page(engine, **{"accept-language": "fr"})[1]
        assert anonymous.outcome == "hide" and "not known" in anonymous.reasons[0].detail


def test_a_remembered_verdict_follows_the_address_behind_trusted_proxies(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"countries": ["SE"]}, collection=GEO, trusted_proxies=["10.0.0.0/8"])
    for _ in range(2):
        sweden = page(engine, granted={"analytics"}, client="10.0.0.1", **{"x-forwarded-for": "89.160.20.112"})[1]
        britain = page(engine, granted={"analytics"}, client="10.0.0.1", **{"x-forwarded-for": "81.2.69.142"})[1]
        assert sweden.outcome == "placeholder" and britain.reasons == (Reason("countries", "hide", "country GB"),)
        direct = page(engine, granted={"analytics"}, client="89.160.20.112")[1]
        assert direct.outcome == "placeholder"


def test_fields_are_computed_only_once_a_rule_reads_them(make_engine: Callable[..., Engine],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = context_module.primary_language
    monkeypatch.setattr(context_module, "primary_language", lambda h: parsed.append(h) or real(h))
    engine = make_engine({"include_paths": ["/help*"], "languages": ["de"]})
    shop = page(engine, "/shop", granted={"analytics"}, **{"accept-language": "de"})[1]
    # combine = "all" stops at the first hide: the language is neither computed nor listed
    assert said(shop) == [("include_paths", "hide")] and parsed == []
    helped = page(engine, "/help", granted={"analytics"}, **{"accept-language": "de"})[1]
    assert said(helped) == [("include_paths", "show"), ("languages", "show"), ("consent", "show")]
    assert parsed == ["de"]


def test_visit_rules_are_remembered_by_the_visit_counts(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"min_page_views": 2})
    ex, first = page(engine, granted={"analytics", "chat"})
    cookie = id_cookies(engine, ex.visitor_id, ex.session_id)
    assert first.reasons[0] == Reason("min_page_views", "hide", "fewer than 2 page views")
    choice = Choice(new_id(), frozenset({"analytics", "chat"}), "1", 1.7e9 + 3e7)
    h = {"user-agent": BROWSER, "cookie": f"ck_consent={engine.codec.encode(choice)}; {cookie}"}
    for views in (2, 3):
        again = engine.begin(RequestView("GET", "/", "", h, "81.2.69.142", "https"))
        decision = engine.chat.decide(again)
        engine.finish(again, 200, "text/html")
        assert decision.outcome == "show" and decision.reasons[0].detail == "at least 2 page views"
        assert decision.prechat["pages"] == ["/"] * views


def test_hooks_are_asked_on_every_page(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({})
    asked: list[str | None] = []

    @engine.chat.rule(needs={"language"})
    def french(ctx: Any) -> bool:
        asked.append(ctx.language)
        return bool(ctx.language == "fr")

    for _ in range(2):
        assert page(engine, granted={"analytics"}, **{"accept-language": "fr"})[1].outcome == "placeholder"
    assert asked == ["fr", "fr"]


def test_beside_a_hook_asked_on_every_page_a_declarative_hide_leaves_it_unasked(
        make_engine: Callable[..., Engine]) -> None:
    """The hook is asked on every page its turn comes on; where the language rule before it hides,
    it is never asked and no visit is kept (that hide holds while the headers stay the same)."""
    engine = make_engine({"languages": ["fr", "de"]})
    asked: list[tuple[str | None, str]] = []

    @engine.chat.rule(needs={"language"})
    def german(ctx: Any) -> bool:
        asked.append((ctx.language, ctx.path))
        return bool(ctx.language == "de")

    ex, first = page(engine, "/a", granted={"analytics"}, **{"accept-language": "en"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    again = page(engine, "/b", granted={"analytics"}, cookie=ids, **{"accept-language": "en"})[1]
    assert said(first) == said(again) == [("languages", "hide")] and not first.track and not again.track
    assert asked == [] and len(engine.chat.visits) == 0
    fr = [page(engine, p, granted={"analytics"}, cookie=ids, **{"accept-language": "fr"})[1] for p in ("/c", "/d")]
    assert [said(d) for d in fr] == [[("languages", "show"), ("hook:german", "hide")]] * 2
    assert all(d.track and d.outcome == "hide" for d in fr)
    de = page(engine, "/e", granted={"analytics"}, cookie=ids, **{"accept-language": "de"})[1]
    assert said(de) == [("languages", "show"), ("hook:german", "show"), ("consent", "show")]
    assert de.prechat["pages"] == ["/c", "/d", "/e"]  # the pages the hook was asked on are the visit's
    assert asked == [("fr", "/c"), ("fr", "/d"), ("de", "/e")]


def test_with_combine_any_a_prepared_show_leaves_the_hook_unasked(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"languages": ["fr"], "combine": "any"})
    asked: list[str] = []

    @engine.chat.rule(needs={"language"})
    def never(ctx: Any) -> bool:
        asked.append(ctx.path)
        return False

    fr = [page(engine, p, granted={"analytics"}, **{"accept-language": "fr"})[1] for p in ("/a", "/b")]
    assert [said(d) for d in fr] == [[("languages", "show"), ("consent", "show")]] * 2 and asked == []
    en = page(engine, "/c", granted={"analytics"}, **{"accept-language": "en"})[1]
    assert said(en) == [("languages", "hide"), ("hook:never", "hide")] and asked == ["/c"]


def test_only_visitors_who_allow_the_session_id_are_tracked(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({})
    page(engine, granted={"chat"})  # the ids' category (analytics) not granted
    page(engine)
    assert len(engine.chat.visits) == 0
    ex, shown = page(engine, "/help", granted={"analytics"})
    assert shown.outcome == "placeholder" and shown.track
    visit = engine.chat.visits.get(ex.session_id or "")
    assert visit is not None and list(visit.pages) == ["/help"]


@pytest.mark.parametrize("header", ["sec-purpose", "purpose", "x-moz"])
def test_a_prefetched_page_is_not_a_page_of_the_visit(make_engine: Callable[..., Engine], header: str) -> None:
    engine = make_engine({})
    ex, _ = page(engine, "/a", granted={"analytics"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    page(engine, "/b", granted={"analytics"}, cookie=ids, **{header: "Prefetch"})
    page(engine, "/c", granted={"analytics"}, cookie=ids, **{header: "prerender;anonymous-client-ip"})
    page(engine, "/d", granted={"analytics"}, cookie=ids, **{header: ""})
    visit = engine.chat.visits.get(ex.session_id or "")
    assert visit is not None and list(visit.pages) == ["/a", "/d"]


def test_pages_exclude_paths_match_are_not_part_of_the_visit(make_engine: Callable[..., Engine]) -> None:
    """The chat has nothing to do with an excluded page (checkout, account pages): it is neither
    counted into the visit nor listed to the agent, whether a decision was made for it or not."""
    engine = make_engine({"exclude_paths": ["/account*"], "min_page_views": 2})
    ex, _ = page(engine, "/shop", granted={"analytics", "chat"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    excluded = page(engine, "/account/delete", granted={"analytics", "chat"}, cookie=ids)[1]
    assert said(excluded) == [("exclude_paths", "hide")] and not excluded.track
    # Served with no decision (an app that places the chat itself, in a template without it).
    bare, none = page(engine, "/account/edit", granted={"analytics", "chat"}, cookie=ids, decide=False)
    assert none is None and bare.session_id == ex.session_id
    shown = page(engine, "/help", granted={"analytics", "chat"}, cookie=ids)[1]
    assert shown.outcome == "show" and shown.reasons[0].detail == "at least 2 page views"
    assert shown.prechat["pages"] == ["/shop", "/help"]
    visit = engine.chat.visits.get(ex.session_id or "")
    assert visit is not None and list(visit.pages) == ["/shop", "/help"] and visit.views == 2


def test_a_hide_that_holds_on_every_page_keeps_no_visit_data(make_engine: Callable[..., Engine]) -> None:
    """Rules that hide the chat whatever the page (here: the visitor's language) keep nothing about
    the visit; its pre-chat data starts with the first page the chat may show on."""
    engine = make_engine({"languages": ["fr"]})
    ex, hidden = page(engine, "/a", granted={"analytics"})
    assert hidden.outcome == "hide" and not hidden.track
    assert engine.chat.visits.get(ex.session_id or "") is None
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    assert not page(engine, "/b", granted={"analytics"}, cookie=ids)[1].track
    assert len(engine.chat.visits) == 0
    for n, path in enumerate(["/c", "/d"], 1):  # the same visit, now in French
        ex2, shown = page(engine, path, granted={"analytics"}, cookie=ids, **{"accept-language": "fr"})
        assert ex2.session_id == ex.session_id and shown.outcome == "placeholder" and shown.track
        assert shown.prechat["pages"] == ["/c", "/d"][:n]
    visit = engine.chat.visits.get(ex.session_id or "")
    assert visit is not None and list(visit.pages) == ["/c", "/d"]
    # include_paths makes a verdict depend on the page: every page is kept then.
    by_page = make_engine({"languages": ["fr"], "include_paths": ["/help*"]})
    ex3, hidden = page(by_page, "/a", granted={"analytics"})
    assert hidden.outcome == "hide" and hidden.track and by_page.chat.visits.get(ex3.session_id or "") is not None


def test_exclude_paths_are_remembered_per_page_both_ways(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({"exclude_paths": ["/admin*"], "languages": ["fr"]})
    for _ in range(2):
        admin = page(engine, "/admin/users", granted={"analytics"}, **{"accept-language": "fr"})[1]
        assert said(admin) == [("exclude_paths", "hide")] and admin.counted == "hidden_by_rule"
        shop = page(engine, "/shop", granted={"analytics"}, **{"accept-language": "fr"})[1]
        assert said(shop) == [("languages", "show"), ("consent", "show")]


def test_a_remembered_hook_is_asked_once_per_value_of_what_it_needs(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({})
    asked: list[str | None] = []

    @engine.chat.rule(needs={"language"}, remember=True)
    def french(ctx: Any) -> bool:
        asked.append(ctx.language)
        return bool(ctx.language == "fr")

    ex, first = page(engine, "/a", granted={"analytics"}, **{"accept-language": "en"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    assert first.outcome == "hide" and said(first) == [("hook:french", "hide")]
    for path in ("/b", "/c"):
        again = page(engine, path, granted={"analytics"}, cookie=ids, **{"accept-language": "en"})[1]
        assert again == first  # the same remembered decision, whatever the page
    # A hide that holds on every page keeps no visit data, as for the declarative rules.
    assert not first.track and engine.chat.visits.get(ex.session_id or "") is None
    for _ in range(2):
        assert page(engine, "/d", granted={"analytics"}, cookie=ids, **{"accept-language": "fr"})[1].outcome == (
            "placeholder")
    # The field's consent withdrawn: the hook sees None, which is another value, so it is asked again.
    assert page(engine, "/e", **{"accept-language": "fr"})[1].outcome == "hide"
    assert asked == ["en", "fr", None]


def test_a_remembered_hook_that_failed_is_asked_again(make_engine: Callable[..., Engine],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine({})
    calls: list[int] = []

    @engine.chat.rule(needs={"language"}, remember=True)
    def flaky(ctx: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the desk's directory is down")
        return True

    failed = page(engine, granted={"analytics"}, **{"accept-language": "fr"})[1]
    assert failed.outcome == "hide" and failed.reasons[0].detail == "raised an exception (logged)"
    assert failed.track  # a failure says nothing about the other pages
    assert "flaky raised" in caplog.text
    for _ in range(2):
        assert page(engine, granted={"analytics"}, **{"accept-language": "fr"})[1].outcome == "placeholder"
    assert len(calls) == 2


def test_a_remembered_hook_is_asked_every_time_beside_one_that_is_not(make_engine: Callable[..., Engine]) -> None:
    """One hook asked on every page makes the whole verdict per page."""
    engine = make_engine({"combine": "any"})
    asked: list[str] = []

    @engine.chat.rule(needs={"language"}, remember=True)
    def remembered(ctx: Any) -> bool:
        asked.append("remembered")
        return False

    @engine.chat.rule(needs=set())
    def every_page(ctx: Any) -> bool:
        asked.append("every_page")
        return False

    for _ in range(2):
        assert page(engine, granted={"analytics"}, **{"accept-language": "fr"})[1].outcome == "hide"
    assert asked == ["remembered", "every_page"] * 2


class Clock:
    """The time the chat reads (its rules, its visits), set by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from consentkit.chat import decision, service

    fake = Clock(1_767_000_000.0)
    for module in (context_module, decision, service):
        monkeypatch.setattr(module, "time", fake)
    return fake


def counting_evaluations(engine: Engine) -> list[int]:
    ruleset = engine.chat.decider.ruleset
    calls = [0]
    judge = ruleset.judge

    def counted(facts: Any) -> Any:
        calls[0] += 1
        return judge(facts)

    ruleset.judge = counted  # type: ignore[method-assign]
    return calls


def test_business_hours_are_remembered_for_the_minute(make_engine: Callable[..., Engine], clock: Clock) -> None:
    engine = make_engine({"hours": {"timezone": "Asia/Kathmandu", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                                          "sun"], "open": "09:00", "close": "17:00"}})
    evaluations = counting_evaluations(engine)
    nine = dt.datetime(2026, 12, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Kathmandu")).timestamp()  # UTC+05:45
    outcomes = []
    for offset in (-30, -1, 0, 59):
        clock.now = nine + offset
        decision = page(engine, "/a" if offset < 0 else "/b")[1]
        outcomes.append((decision.outcome, decision.reasons[0].detail))
    assert outcomes == [("hide", "Wed 2026-12-02 08:59 Asia/Kathmandu: outside business hours")] * 2 + [
        ("placeholder", "Wed 2026-12-02 09:00 Asia/Kathmandu: open")] * 2
    assert evaluations[0] == 2  # once per minute, whatever the page


def test_visit_thresholds_decide_by_the_counts_of_the_visit(make_engine: Callable[..., Engine],
                                                            clock: Clock) -> None:
    engine = make_engine({"min_page_views": 10, "min_seconds_on_site": 30, "combine": "any"})
    start = clock.now
    ex, first = page(engine, granted={"analytics"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    seen = [first]
    for seconds in (10, 29, 31):
        clock.now = start + seconds
        seen.append(page(engine, granted={"analytics"}, cookie=ids)[1])
    assert [said(d) for d in seen] == [[("min_page_views", "hide"), ("min_seconds_on_site", "hide")]] * 3 + [
        [("min_page_views", "hide"), ("min_seconds_on_site", "show"), ("consent", "show")]]
    assert seen[0].reasons[1].detail == "fewer than 30 seconds on site"
    assert seen[3].reasons[1].detail == "at least 30 seconds on site"
    assert [d.outcome for d in seen] == ["hide"] * 3 + ["placeholder"]
    assert all(d.track for d in seen)  # the visit counts tell: every page is one of the visit's
    visit = engine.chat.visits.get(ex.session_id or "", clock.now)
    assert visit is not None and visit.views == 4


def test_a_remembered_hook_reads_the_visit_counts_it_needs_by_value(make_engine: Callable[..., Engine]) -> None:
    """A threshold rule reads page views by side; a remembered hook that needs them, by value."""
    engine = make_engine({"min_page_views": 1})

    @engine.chat.rule(needs={"page_views"}, remember=True)
    def every_other_page(ctx: Any) -> bool:
        return bool(ctx.page_views % 2 == 0)

    ex, first = page(engine, granted={"analytics"})
    ids = id_cookies(engine, ex.visitor_id, ex.session_id)
    later = [page(engine, granted={"analytics"}, cookie=ids)[1].outcome for _ in range(3)]
    assert [first.outcome, *later] == ["hide", "placeholder", "hide", "placeholder"]


RULES = st.fixed_dictionaries({}, optional={
    "hours": st.sampled_from([{"days": ["mon", "wed"], "open": "09:00", "close": "09:02"},
                              {"timezone": "America/St_Johns", "open": "22:00", "close": "02:00"}]),
    "min_page_views": st.integers(1, 4), "min_seconds_on_site": st.integers(1, 120),
    "include_paths": st.just(["/help*"]), "languages": st.just(["fr"]), "combine": st.sampled_from(["all", "any"]),
    "returning_only": st.booleans()})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=RULES,
    steps=st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 7, 59, 61, 600, 3600, 86_400]),
                             st.sampled_from(["/", "/help", "/help/x"]), st.sampled_from(["fr", "en", "de"])),
                   min_size=1, max_size=12),
    start=st.integers(1_767_000_000, 1_767_000_000 + 7 * 86_400),
    hook=st.sampled_from([None, (frozenset({"language"}), False), (frozenset({"language", "page_views"}), False),
                          (frozenset({"language"}), True)]))
def test_remembering_verdicts_changes_no_decision(make_engine: Callable[..., Engine], clock: Clock,
                                                  rules: dict[str, Any], steps: list[tuple[int, int, str, str]],
                                                  start: int, hook: tuple[frozenset[str], bool] | None) -> None:
    """The same pages at the same moments, to an engine that remembers verdicts and one that
    remembers none: the same outcomes, reasons and visit data, whatever the clock does meanwhile."""
    clock.now = float(start)
    remembers, forgets = make_engine(rules), make_engine(rules)
    if hook is not None:
        needs, remember = hook
        for engine in (remembers, forgets):
            @engine.chat.rule(name="de_or_even", needs=needs, remember=remember)
            def de_or_even(ctx: Any) -> bool:
                return bool(ctx.language == "de" or (ctx.page_views or 1) % 2 == 0)
    forgets.chat.decider.remember = False
    visitors = [id_cookies(remembers, new_id(), new_id()) for _ in range(3)] + [""]
    for who, wait, path, language in steps:
        clock.now += wait
        got = [page(e, path, granted={"analytics"}, cookie=visitors[who], **{"accept-language": language})[1]
               for e in (remembers, forgets)]
        assert got[0] == got[1]
    assert len(remembers.chat.visits) == len(forgets.chat.visits)


def test_remember_is_true_or_false(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine({})
    with pytest.raises(TypeError, match="remember must be True or False"):
        engine.chat.rule(remember="yes")  # type: ignore[call-overload]


CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"


@pytest.fixture
def asked_and_remembered(make_engine: Callable[..., Engine]) -> list[Engine]:
    """The same hook, asked on every page and remembered."""
    engines = [make_engine({"never_for_bots": True}, collection=GEO) for _ in range(2)]
    for engine, remember in zip(engines, (False, True), strict=True):
        @engine.chat.rule(name="europe", needs={"language", "browser", "country"}, remember=remember)
        def europe(ctx: Any) -> bool:
            return ctx.language in ("fr", "de") and ctx.browser != "Firefox" and ctx.country != "GB"
    return engines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(
    st.sampled_from(["fr", "fr-CH", "de", "en", ""]), st.sampled_from([BROWSER, CHROME]),
    st.sampled_from(["81.2.69.142", "89.160.20.112", "2001:db8::1"]),
    st.sampled_from([None, set(), {"analytics"}, {"analytics", "chat"}]), st.sampled_from(["/", "/help", "/shop"]),
), min_size=1, max_size=8))
def test_remembering_a_hook_changes_no_decision(asked_and_remembered: list[Engine],
                                                visits: list[tuple[str, str, str, set[str] | None, str]]) -> None:
    """Page after page (the examples share the engines, so remembered answers carry over): the same
    outcome and reasons whether the hook is asked or its answer remembered."""
    for language, ua, client, granted, path in visits:
        headers = {"user-agent": ua, **({"accept-language": language} if language else {})}
        asked, remembered = (page(e, path, granted=granted, client=client, **headers)[1]
                             for e in asked_and_remembered)
        assert (remembered.outcome, remembered.reasons, remembered.counted) == (
            asked.outcome, asked.reasons, asked.counted)
