"""Declarative rules, hooks and how they combine; every verdict carries its reasons."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from consentkit.chat.context import Facts, VisitorContext
from consentkit.chat.hooks import Hide, HookRegistry, Show
from consentkit.chat.rules import RuleSet
from consentkit.chat.settings import ChatRulesConfig

BERLIN = ZoneInfo("Europe/Berlin")
WED_NOON = dt.datetime(2026, 3, 4, 12, 0, tzinfo=BERLIN).timestamp()  # a Wednesday


def ctx(**fields: Any) -> Facts:
    fields.setdefault("now", WED_NOON)
    return Facts.of(VisitorContext(path=fields.pop("path", "/"), categories=frozenset({"necessary"}), **fields))


def rules(hooks: HookRegistry | None = None, **cfg: Any) -> RuleSet:
    return RuleSet(ChatRulesConfig(**cfg), hooks or HookRegistry())


def test_no_rules_shows_and_says_so() -> None:
    v = rules().evaluate(ctx())
    assert v.show and [r.rule for r in v.reasons] == ["rules"]


def test_page_globs() -> None:
    rs = rules(include_paths=["/pricing*", "/help/*"], exclude_paths=["/help/private*"])
    assert rs.evaluate(ctx(path="/pricing/team")).show
    assert not rs.evaluate(ctx(path="/about")).show
    veto = rs.path_veto("/help/private/x")
    assert veto is not None and veto.says == "hide" and veto.rule == "exclude_paths"
    assert rs.path_veto("/help/faq") is None


def test_visit_thresholds_and_unknown_data() -> None:
    rs = rules(min_page_views=3, min_seconds_on_site=30)
    assert rs.evaluate(ctx(page_views=3, seconds_on_site=31)).show
    v = rs.evaluate(ctx(page_views=2, seconds_on_site=99))
    assert not v.show and v.reasons[0].rule == "min_page_views" and v.reasons[0].detail == "fewer than 3 page views"
    unknown = rs.evaluate(ctx())  # the session id's category is not in effect
    assert not unknown.show and "not known" in unknown.reasons[0].detail
    assert rules(min_page_views=3, when_unknown="show").evaluate(ctx()).show


def test_returning_countries_languages_devices() -> None:
    rs = rules(returning_only=True, countries=["DE", "AT"], languages=["de"], devices=["desktop"])
    assert rs.evaluate(ctx(returning=True, country="AT", language="de", device="desktop")).show
    for miss in ({"returning": False}, {"country": "FR"}, {"language": "en"}, {"device": "mobile"}):
        fields = {"returning": True, "country": "AT", "language": "de", "device": "desktop", **miss}
        v = rs.evaluate(ctx(**fields))
        assert not v.show and v.reasons[-1].says == "hide"
    assert rs.needs == frozenset({"returning", "country", "language", "device", "is_bot"})


def test_bots_are_vetoed_even_with_any() -> None:
    rs = rules(combine="any", languages=["en"])
    v = rs.evaluate(ctx(is_bot=True, language="en"))
    assert not v.show and v.reasons[0].rule == "never_for_bots"
    assert rules(never_for_bots=False).evaluate(ctx(is_bot=True)).show


def test_business_hours() -> None:
    hours = {"timezone": "Europe/Berlin", "days": ["mon", "wed"], "open": "09:00", "close": "17:30",
             "holidays": ["2026-03-11"]}
    rs = rules(hours=hours)
    assert rs.evaluate(ctx(now=WED_NOON)).show
    evening = dt.datetime(2026, 3, 4, 17, 30, tzinfo=BERLIN).timestamp()
    assert not rs.evaluate(ctx(now=evening)).show
    thursday = WED_NOON + 86400
    v = rs.evaluate(ctx(now=thursday))
    assert not v.show and "closed that day" in v.reasons[0].detail
    holiday = WED_NOON + 7 * 86400
    assert "holiday" in rs.evaluate(ctx(now=holiday)).reasons[0].detail


def test_business_hours_past_midnight_belong_to_the_opening_day() -> None:
    rs = rules(hours={"timezone": "Europe/Berlin", "days": ["fri"], "open": "20:00", "close": "02:00"})
    fri_late = dt.datetime(2026, 3, 6, 23, 0, tzinfo=BERLIN).timestamp()
    sat_early = dt.datetime(2026, 3, 7, 1, 0, tzinfo=BERLIN).timestamp()
    sun_early = dt.datetime(2026, 3, 8, 1, 0, tzinfo=BERLIN).timestamp()
    assert rs.evaluate(ctx(now=fri_late)).show and rs.evaluate(ctx(now=sat_early)).show
    assert not rs.evaluate(ctx(now=sun_early)).show


def test_combine_all_stops_at_the_first_hide_and_any_at_the_first_show() -> None:
    cfg = {"languages": ["de"], "countries": ["DE"], "devices": ["desktop"]}  # evaluated countries, languages, devices
    all_ = rules(**cfg).evaluate(ctx(language="en", country="DE", device="desktop"))
    assert not all_.show and [(r.rule, r.says) for r in all_.reasons] == [("countries", "show"), ("languages", "hide")]
    any_ = rules(combine="any", **cfg).evaluate(ctx(language="de", country="FR", device="mobile"))
    assert any_.show and [(r.rule, r.says) for r in any_.reasons] == [("countries", "hide"), ("languages", "show")]
    none = rules(combine="any", **cfg).evaluate(ctx(language="en", country="FR", device="mobile"))
    assert not none.show and len(none.reasons) == 3


def test_hooks_bool_show_hide_and_their_data() -> None:
    hooks = HookRegistry()

    @hooks.rule
    def vip(c: VisitorContext) -> Show | Hide:
        return Show(data={"plan": "gold", "n": 3}) if c.path.startswith("/account") else Hide("not a customer page")

    @hooks.rule(name="weekday")
    def second(c: VisitorContext) -> bool:
        return True

    rs = rules(hooks)
    v = rs.evaluate(ctx(path="/account"))
    assert v.show and v.data == {"plan": "gold", "n": 3}
    assert [(r.rule, r.says) for r in v.reasons] == [("hook:vip", "show"), ("hook:weekday", "show")]
    hidden = rs.evaluate(ctx(path="/"))
    assert not hidden.show and hidden.reasons[0].detail == "not a customer page" and hidden.data == {}
    assert len(hooks) == 2 and vip.__name__ == "vip"  # the decorator returns the function itself


def test_a_raising_hook_hides_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookRegistry()
    hooks.rule(lambda c: 1 / 0 == 0, name="broken")
    hooks.rule(lambda c: True, name="never_reached")
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        v = rules(hooks, combine="any").evaluate(ctx())
    assert not v.show and [r.rule for r in v.reasons] == ["hook:broken"]
    assert "chat rule broken raised" in caplog.text and "ZeroDivisionError" in caplog.text


def test_a_slow_hook_hides_within_its_timeout_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    hooks = HookRegistry()
    hooks.rule(lambda c: release.wait(5), name="slow")  # blocks, as a hook calling a stuck service would
    rs = rules(hooks, hook_timeout_ms=50)
    try:
        with caplog.at_level(logging.ERROR, logger="consentkit"):
            t0 = time.monotonic()
            v = rs.evaluate(ctx())
            waited = time.monotonic() - t0
        assert not v.show and [(r.rule, r.says) for r in v.reasons] == [("hook:slow", "hide")]
        assert v.reasons[0].detail == "no answer within 50 ms (logged)"
        assert 0.04 < waited < 2.0  # the page did not wait for the hook
        assert "chat rule slow gave no answer within 50 ms" in caplog.text
    finally:
        release.set()


def test_hooks_under_a_timeout_still_answer_raise_and_see_the_context(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    hooks = HookRegistry()

    @hooks.rule(name="fast")
    def fast(c: VisitorContext) -> Show:
        seen.append(threading.current_thread().name)
        return Show(data={"path": c.path})

    v = rules(hooks, hook_timeout_ms=2000).evaluate(ctx(path="/pricing"))
    assert v.show and v.data == {"path": "/pricing"}
    assert seen and seen[0].startswith("consentkit-chat-hook")  # it did run on a worker thread
    broken = HookRegistry()
    broken.rule(lambda c: 1 / 0 == 0, name="broken")
    with caplog.at_level(logging.ERROR, logger="consentkit"):
        hidden = rules(broken, hook_timeout_ms=2000).evaluate(ctx())
    assert not hidden.show and hidden.reasons[0].detail == "raised an exception (logged)"
    assert "ZeroDivisionError" in caplog.text


def test_a_hook_returning_something_else_hides(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookRegistry()
    hooks.rule(lambda c: "yes", name="sloppy")  # type: ignore[arg-type,return-value]
    v = rules(hooks).evaluate(ctx())
    assert not v.show and "not bool, Show or Hide" in v.reasons[0].detail


def test_widget_data_keeps_short_scalars_only(caplog: pytest.LogCaptureFixture) -> None:
    hooks = HookRegistry()
    hooks.rule(lambda c: Show(data={"ok": "x", "n": 1.5, "nan": float("nan"), "obj": [1], "": 1,
                                    "long": "y" * 2000}), name="data")
    v = rules(hooks).evaluate(ctx())
    assert v.show and v.data == {"ok": "x", "n": 1.5}
    assert "dropped widget data item" in caplog.text


def test_context_is_read_only() -> None:
    c = ctx(country="DE").context()
    with pytest.raises(AttributeError):
        c.country = "FR"  # type: ignore[misc]
