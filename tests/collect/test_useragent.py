from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect import useragent
from consentkit.collect.bots import BOT_NAMES, BOT_PATTERNS, is_known_bot
from consentkit.collect.useragent import (
    DEVICE_CLASSES,
    MAX_USER_AGENT,
    UserAgentInfo,
    parse_user_agent,
    set_cache_size,
)

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
EDGE = CHROME_WINDOWS + " Edg/120.0.2210.91"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15"
)
CHROME_OS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
GPTBOT = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 11; CUBOT X50) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)

BROWSERS = [CHROME_WINDOWS, SAFARI_IPHONE, SAFARI_IPAD, ANDROID_PHONE, ANDROID_TABLET, FIREFOX_ANDROID,
            FIREFOX_LINUX, EDGE, SAFARI_MAC, CHROME_OS, CUBOT_PHONE]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    set_cache_size(useragent.DEFAULT_CACHE_SIZE)
    yield
    set_cache_size(useragent.DEFAULT_CACHE_SIZE)


@pytest.mark.parametrize(
    ("ua", "browser", "browser_version", "os", "os_version", "device"),
    [
        (CHROME_WINDOWS, "Chrome", "120.0", "Windows", "10", "desktop"),
        (SAFARI_IPHONE, "Mobile Safari", "17.1", "iOS", "17.1", "mobile"),
        (SAFARI_IPAD, "Mobile Safari", "16.6", "iOS", "16.6", "tablet"),
        (ANDROID_PHONE, "Chrome Mobile", "120.0", "Android", "13", "mobile"),
        (ANDROID_TABLET, "Chrome", "120.0", "Android", "13", "tablet"),
        (FIREFOX_ANDROID, "Firefox Mobile", "121.0", "Android", "14", "mobile"),
        (FIREFOX_LINUX, "Firefox", "121.0", "Ubuntu", None, "desktop"),
        (EDGE, "Edge", "120.0", "Windows", "10", "desktop"),
        (SAFARI_MAC, "Safari", "17.1", "Mac OS X", "10.15", "desktop"),
        (CHROME_OS, "Chrome", "120.0", "Chrome OS", "14541.0", "desktop"),
        (CUBOT_PHONE, "Chrome Mobile", "120.0", "Android", "11", "mobile"),
        (GOOGLEBOT, "Googlebot", "2.1", None, None, "bot"),
        (GOOGLEBOT_SMARTPHONE, "Googlebot", "2.1", "Android", "6.0", "bot"),
        (GPTBOT, "GPTBot", "1.0", None, None, "bot"),
        (HEADLESS, "HeadlessChrome", "120.0", "Linux", None, "bot"),
        ("curl/8.4.0", "curl", "8.4", None, None, "bot"),
        ("python-requests/2.31.0", "Python Requests", "2.31", None, None, "bot"),
        ("Go-http-client/1.1", "Go-http-client", "1.1", None, None, "bot"),
        ("", None, None, None, None, "other"),
        ("\x00\xff\x80 )))(((;;; ", None, None, None, None, "other"),
    ],
)
def test_real_user_agents(
    ua: str, browser: str | None, browser_version: str | None, os: str | None, os_version: str | None, device: str
) -> None:
    info = parse_user_agent(ua)
    assert (info.browser, info.browser_version, info.os, info.os_version, info.device) == (
        browser,
        browser_version,
        os,
        os_version,
        device,
    )
    assert info.is_bot is (device == "bot")
    assert info.truncated is False


def test_device_brand_and_model() -> None:
    iphone = parse_user_agent(SAFARI_IPHONE)
    assert (iphone.device_brand, iphone.device_model) == ("Apple", "iPhone")
    samsung = parse_user_agent(ANDROID_PHONE)
    assert (samsung.device_brand, samsung.device_model) == ("Samsung", "SM-S911B")
    generic_tablet = parse_user_agent(ANDROID_TABLET)
    assert (generic_tablet.device_brand, generic_tablet.device_model) == (None, "SM-X700")
    spider = parse_user_agent(GOOGLEBOT)
    assert (spider.device_brand, spider.device_model) == (None, None)


@pytest.mark.parametrize("ua", BROWSERS)
def test_device_class_follows_user_agents_rules(ua: str) -> None:
    from user_agents.parsers import UserAgent

    reference = UserAgent(ua)
    expected = (
        "bot" if reference.is_bot
        else "tablet" if reference.is_tablet
        else "mobile" if reference.is_mobile
        else "desktop" if reference.is_pc
        else "other"
    )
    assert parse_user_agent(ua).device == expected


def test_long_user_agent_is_truncated() -> None:
    info = parse_user_agent(CHROME_WINDOWS + "x" * 5000)
    assert info.truncated is True
    assert info.browser == "Chrome"
    assert parse_user_agent("A" * 5000).truncated is True
    assert parse_user_agent("A" * MAX_USER_AGENT).truncated is False


def test_lone_surrogates_do_not_reach_the_native_parser() -> None:
    assert parse_user_agent("Mozilla/5.0 \ud800 curl/8.0").device == "bot"


def test_results_are_cached_and_cache_size_is_settable() -> None:
    assert parse_user_agent(CHROME_WINDOWS) is parse_user_agent(CHROME_WINDOWS)
    set_cache_size(0)
    first, second = parse_user_agent(CHROME_WINDOWS), parse_user_agent(CHROME_WINDOWS)
    assert first == second and first is not second
    with pytest.raises(ValueError):
        set_cache_size(-1)


@pytest.mark.parametrize(
    "ua",
    [
        GOOGLEBOT,
        GPTBOT,
        HEADLESS,
        "curl/8.4.0",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "Go-http-client/2.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
        "(compatible; Bytespider; spider-feedback@bytedance.com)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    ],
)
def test_known_bots(ua: str) -> None:
    assert is_known_bot(ua)
    assert parse_user_agent(ua).is_bot


@pytest.mark.parametrize("ua", BROWSERS)
def test_browsers_are_not_bots(ua: str) -> None:
    assert not is_known_bot(ua)
    assert not parse_user_agent(ua).is_bot


def test_bot_patterns_are_unique_and_each_one_matches() -> None:
    import re

    assert len(BOT_PATTERNS) == len(set(BOT_PATTERNS))
    for name in BOT_NAMES:
        assert re.compile(re.escape(name)).search(name)
        assert is_known_bot(f"Mozilla/5.0 ({name.upper()} 1.0)"), name


@pytest.mark.parametrize(
    ("ua", "bot"),
    [
        ("Mozilla/5.0 (Linux; Android 11; CUBOT X50)", False),
        ("MyRobot/1.0", True),
        ("SomeBot", True),
        ("botanist-browser", False),
        ("curl/8.0", True),
        ("mycurl/8.0", False),
        ("Ruby", True),
        ("rubyist-reader", False),
        ("Java/17.0.1", True),
        ("Mozilla/5.0 (compatible; Thing/1.0; +https://thing.example/about)", True),
    ],
)
def test_bot_pattern_boundaries(ua: str, bot: bool) -> None:
    assert is_known_bot(ua) is bot


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000) | st.sampled_from(BROWSERS).map(lambda ua: ua + "x" * 3000))
def test_parse_user_agent_never_raises(ua: str) -> None:
    info = parse_user_agent(ua)
    assert isinstance(info, UserAgentInfo)
    assert info.device in DEVICE_CLASSES
    assert info.is_bot is (info.device == "bot")
    assert info.truncated is (len(ua) > MAX_USER_AGENT)
    assert "Other" not in (info.browser, info.os)
    for version in (info.browser_version, info.os_version):
        assert version is None or 1 <= len(version.split(".")) <= 2


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(max_size=40), suffix=st.text(max_size=40), name=st.sampled_from(["curl/8.0", "GPTBot/1.0"]))
def test_bot_names_are_found_anywhere(prefix: str, suffix: str, name: str) -> None:
    assert parse_user_agent(prefix + " " + name + " " + suffix).device == "bot"
