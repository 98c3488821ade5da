from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect.referrer import (
    MAX_CAMPAIGN_VALUE,
    MAX_PATH,
    MAX_REFERRER,
    REFERRER_CLASSES,
    Campaign,
    ReferrerInfo,
    parse_campaign,
    parse_referrer,
)

OWN = "example.com"


@pytest.mark.parametrize(
    ("referer", "host", "path", "klass"),
    [
        ("", None, None, "direct"),
        ("   ", None, None, "direct"),
        ("https://example.com/pricing?plan=pro#top", "example.com", "/pricing", "internal"),
        ("https://www.example.com/", "www.example.com", "/", "internal"),
        ("http://EXAMPLE.com:8080", "example.com", "/", "internal"),
        ("https://user:secret@example.com/a", "example.com", "/a", "internal"),
        ("https://blog.example.com/post", "blog.example.com", "/post", "other"),
        ("https://www.google.com/", "www.google.com", "/", "search"),
        ("https://www.google.co.uk/search?q=private+words", "www.google.co.uk", "/search", "search"),
        ("https://google.com.br/", "google.com.br", "/", "search"),
        ("https://docs.google.com/document/d/1", "docs.google.com", "/document/d/1", "other"),
        ("https://cn.bing.com/search?q=x", "cn.bing.com", "/search", "search"),
        ("https://duckduckgo.com/", "duckduckgo.com", "/", "search"),
        ("https://r.search.yahoo.com/_ylt=abc", "r.search.yahoo.com", "/_ylt=abc", "search"),
        ("https://yandex.ru/search/", "yandex.ru", "/search/", "search"),
        ("https://www.ecosia.org/", "www.ecosia.org", "/", "search"),
        ("https://search.brave.com/search", "search.brave.com", "/search", "search"),
        ("https://m.search.naver.com/", "m.search.naver.com", "/", "search"),
        ("https://t.co/AbC", "t.co", "/AbC", "social"),
        ("https://l.facebook.com/l.php?u=x", "l.facebook.com", "/l.php", "social"),
        ("https://x.com/someone", "x.com", "/someone", "social"),
        ("https://www.linkedin.com/", "www.linkedin.com", "/", "social"),
        ("https://news.ycombinator.com/item?id=1", "news.ycombinator.com", "/item", "social"),
        ("https://www.pinterest.co.uk/pin/1", "www.pinterest.co.uk", "/pin/1", "social"),
        ("https://bsky.app/profile/x", "bsky.app", "/profile/x", "social"),
        ("https://mail.google.com/mail/u/0/", "mail.google.com", "/mail/u/0/", "email"),
        ("https://outlook.live.com/mail/0/", "outlook.live.com", "/mail/0/", "email"),
        ("https://mail.yahoo.co.jp/", "mail.yahoo.co.jp", "/", "email"),
        ("https://webmail.isp.example.net/", "webmail.isp.example.net", "/", "email"),
        ("https://some-blog.example.org/a/b/", "some-blog.example.org", "/a/b/", "other"),
        ("android-app://com.google.android.gm/", "com.google.android.gm", None, "email"),
        ("android-app://com.google.android.googlequicksearchbox/https/www.google.com",
         "com.google.android.googlequicksearchbox", None, "search"),
        ("android-app://org.example.reader/", "org.example.reader", None, "other"),
        ("file:///home/alice/page.html", None, None, "other"),
        ("about:blank", None, None, "other"),
        ("www.bing.com/search?q=x", "www.bing.com", "/search", "search"),
        ("/relative/path", None, None, "other"),
        ("https://[2001:DB8::1]:8443/x", "[2001:db8::1]", "/x", "other"),
        ("https://exa mple.com/", None, None, "other"),
        ("https://\xe9xample.com/", None, None, "other"),
        ("https://google.com./", "google.com", "/", "search"),
    ],
)
def test_parse_referrer(referer: str, host: str | None, path: str | None, klass: str) -> None:
    assert parse_referrer(referer, OWN) == ReferrerInfo(host=host, path=path, klass=klass, truncated=False)


@pytest.mark.parametrize("own_host", ["example.com", "EXAMPLE.COM:443", "www.example.com", "example.com."])
def test_own_host_is_normalised(own_host: str) -> None:
    assert parse_referrer("https://example.com/x", own_host).klass == "internal"


def test_empty_own_host_is_never_internal() -> None:
    assert parse_referrer("https://example.com/x", "").klass == "other"


@pytest.mark.parametrize(
    ("referer", "klass"),
    [
        ("", "campaign"),
        ("https://www.google.com/", "campaign"),
        ("https://t.co/x", "campaign"),
        ("https://blog.example.org/", "campaign"),
        ("https://example.com/", "internal"),
        ("https://mail.google.com/", "email"),
    ],
)
def test_campaign_overrides_all_but_internal_and_email(referer: str, klass: str) -> None:
    assert parse_referrer(referer, OWN, campaign=True).klass == klass
    assert parse_referrer(referer, OWN, campaign=Campaign(utm_source="x")).klass == klass


@pytest.mark.parametrize("medium", ["email", "E-Mail", " newsletter "])
def test_email_medium_makes_a_campaign_email(medium: str) -> None:
    campaign = Campaign(utm_medium=medium)
    assert parse_referrer("", OWN, campaign=campaign).klass == "email"
    assert parse_referrer("https://www.google.com/", OWN, campaign=campaign).klass == "email"
    assert parse_referrer("https://example.com/", OWN, campaign=campaign).klass == "internal"


def test_untagged_campaign_changes_nothing() -> None:
    assert parse_referrer("https://www.google.com/", OWN, campaign=Campaign()).klass == "search"


def test_long_referrer_and_path_are_truncated() -> None:
    long_path = "https://blog.example.org/" + "p" * 1500
    info = parse_referrer(long_path, OWN)
    assert info.truncated and info.path is not None and len(info.path) == MAX_PATH
    info = parse_referrer("https://t.co/x?" + "q" * 5000, OWN)
    assert info == ReferrerInfo(host="t.co", path="/x", klass="social", truncated=True)


def test_parse_campaign() -> None:
    query = [
        ("UTM_Source", "newsletter-42"),
        ("utm_medium", "email"),
        ("utm_campaign", "spring"),
        ("utm_campaign", "ignored: first wins"),
        ("utm_term", ""),
        ("utm_content", "  banner\x00  "),
        ("fbclid", "F"),
        ("gclid", "G"),
        ("other", "x"),
    ]
    assert parse_campaign(query) == Campaign(
        utm_source="newsletter-42",
        utm_medium="email",
        utm_campaign="spring",
        utm_term=None,
        utm_content="banner",
        click_id="gclid:G",
    )
    assert parse_campaign(query).any
    assert parse_campaign(query).is_email


def test_click_id_alone_is_a_campaign() -> None:
    campaign = parse_campaign([("msclkid", "M"), ("ttclid", "T")])
    assert campaign.click_id == "msclkid:M" and campaign.any
    assert not parse_campaign([("q", "x")]).any


def test_campaign_values_are_capped() -> None:
    campaign = parse_campaign([("utm_source", "s" * 5000), ("gclid", "g" * 5000)])
    assert campaign.utm_source == "s" * MAX_CAMPAIGN_VALUE
    assert campaign.click_id == "gclid:" + "g" * MAX_CAMPAIGN_VALUE


@settings(max_examples=200, deadline=None)
@given(
    referer=st.text(max_size=3000)
    | st.builds(lambda host, rest: f"https://{host}/{rest}", st.from_regex(r"[a-z0-9.\-]{1,40}", fullmatch=True),
                st.text(max_size=2100)),
    own_host=st.text(max_size=40),
    campaign=st.booleans(),
)
def test_parse_referrer_never_raises(referer: str, own_host: str, campaign: bool) -> None:
    info = parse_referrer(referer, own_host, campaign)
    assert info.klass in REFERRER_CLASSES
    if len(referer) > MAX_REFERRER:
        assert info.truncated
    if info.path is not None:
        assert len(info.path) <= MAX_PATH
        assert "?" not in info.path and "#" not in info.path
    if info.host is not None:
        assert info.host == info.host.lower() and "@" not in info.host and len(info.host) <= 255
        assert info.host.startswith("[") or ":" not in info.host
    if not referer.strip():
        assert info.klass == ("campaign" if campaign else "direct")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20) | st.sampled_from(["utm_source", "gclid", "UTM_MEDIUM"]),
                          st.text(max_size=400)), max_size=30))
def test_parse_campaign_never_raises(query: list[tuple[str, str]]) -> None:
    campaign = parse_campaign(query)
    for value in (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign, campaign.utm_term,
                  campaign.utm_content):
        assert value is None or 0 < len(value) <= MAX_CAMPAIGN_VALUE
    assert campaign.any is any(
        value is not None for value in (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign,
                                        campaign.utm_term, campaign.utm_content, campaign.click_id)
    )
