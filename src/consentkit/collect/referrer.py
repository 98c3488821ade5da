"""Where a visit came from: the referring host and path, the kind of source, and campaign tags.

Only host and path of a referrer are kept: its query string and fragment can carry search terms,
tokens or e-mail addresses, so they are dropped before anything else looks at them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

MAX_REFERRER = 2048
MAX_PATH = 1024
MAX_HOST = 253
MAX_CAMPAIGN_VALUE = 256
MAX_QUERY_PAIRS = 256
REFERRER_CLASSES = frozenset({"direct", "internal", "search", "social", "email", "campaign", "other"})

# "name.tld" matches that domain and its subdomains; "name.*" matches name under any public suffix
# of one or two labels (google.de, google.co.uk) but not its subdomains (docs.google.com).
SEARCH_ENGINES: tuple[str, ...] = (
    "google.*", "bing.com", "duckduckgo.com", "search.yahoo.com", "search.yahoo.*", "yandex.*", "ya.ru", "baidu.com",
    "ecosia.org", "qwant.com", "startpage.com", "search.brave.com", "search.naver.com", "seznam.cz",
    "kagi.com", "search.aol.com", "sogou.com", "so.com", "yep.com", "mojeek.com", "ask.com",
    "search.daum.net", "coccoc.com", "petalsearch.com", "perplexity.ai",
)
SOCIAL_NETWORKS: tuple[str, ...] = (
    "facebook.com", "fb.me", "fb.com", "messenger.com", "t.co", "twitter.com", "x.com", "linkedin.com",
    "lnkd.in", "instagram.com", "reddit.com", "pinterest.*", "pin.it", "youtube.com", "youtu.be",
    "tiktok.com", "mastodon.social", "mastodon.online", "bsky.app", "news.ycombinator.com",
    "threads.net", "threads.com", "vk.com", "ok.ru", "weibo.com", "t.me", "web.telegram.org",
    "web.whatsapp.com", "discord.com", "snapchat.com", "tumblr.com", "quora.com", "xing.com",
)
WEBMAIL: tuple[str, ...] = (
    "mail.google.com", "outlook.live.com", "outlook.office.com", "outlook.office365.com",
    "mail.yahoo.*", "mail.proton.me", "mail.protonmail.com", "mail.aol.com", "mail.zoho.*",
    "mail.yandex.*", "e.mail.ru", "mail.gmx.net", "navigator.gmx.net", "navigator.web.de",
    "app.fastmail.com", "app.tuta.com", "mail.tutanota.com", "mail.mail.ru",
)
# Package names sent as android-app://<package>/ by Android apps.
ANDROID_APPS: dict[str, str] = {
    "com.google.android.googlequicksearchbox": "search",
    "com.google.android.gm": "email",
    "com.microsoft.office.outlook": "email",
    "com.yahoo.mobile.client.android.mail": "email",
    "ch.protonmail.android": "email",
    "com.facebook.katana": "social",
    "com.facebook.orca": "social",
    "com.instagram.android": "social",
    "com.twitter.android": "social",
    "com.linkedin.android": "social",
    "com.reddit.frontpage": "social",
    "com.pinterest": "social",
    "com.zhiliaoapp.musically": "social",
    "com.google.android.youtube": "social",
    "org.telegram.messenger": "social",
    "com.whatsapp": "social",
}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CLICK_ID_KEYS = ("gclid", "fbclid", "msclkid", "dclid", "gbraid", "wbraid", "ttclid", "li_fat_id", "twclid")
EMAIL_MEDIUMS = frozenset({"email", "e-mail", "e_mail", "newsletter"})


def _index(*lists: tuple[tuple[str, ...], str]) -> tuple[dict[str, str], dict[str, str]]:
    domains: dict[str, str] = {}
    brands: dict[str, str] = {}
    for patterns, klass in lists:
        for pattern in patterns:
            if pattern.endswith(".*"):
                brands[pattern] = klass
            else:
                domains[pattern] = klass
    return domains, brands


_BY_DOMAIN, _BY_BRAND = _index((SEARCH_ENGINES, "search"), (SOCIAL_NETWORKS, "social"), (WEBMAIL, "email"))
_URL = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)")
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.\-]*[a-z0-9_])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ReferrerInfo:
    host: str | None
    path: str | None
    klass: str
    """One of REFERRER_CLASSES."""
    truncated: bool


@dataclass(frozen=True, slots=True)
class Campaign:
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    click_id: str | None = None
    """"name:value" of the first click id found, in CLICK_ID_KEYS order."""

    @property
    def any(self) -> bool:
        return any((self.utm_source, self.utm_medium, self.utm_campaign, self.utm_term, self.utm_content,
                    self.click_id))

    @property
    def is_email(self) -> bool:
        return (self.utm_medium or "").strip().lower() in EMAIL_MEDIUMS


def _clean(value: str) -> str | None:
    value = _CONTROL.sub("", value[: MAX_CAMPAIGN_VALUE * 2]).strip()[:MAX_CAMPAIGN_VALUE]
    return value or None


def parse_campaign(query: Sequence[tuple[str, str]]) -> Campaign:
    """utm_* tags and a click id from the landing URL's query; for a repeated key the first wins."""
    found: dict[str, str] = {}
    for key, value in islice(query, MAX_QUERY_PAIRS):
        name = key[:16].strip().lower()
        wanted = (name in UTM_KEYS or name in CLICK_ID_KEYS) and name not in found
        if wanted and (cleaned := _clean(value)) is not None:
            found[name] = cleaned
    click = next((f"{name}:{found[name]}" for name in CLICK_ID_KEYS if name in found), None)
    return Campaign(
        utm_source=found.get("utm_source"),
        utm_medium=found.get("utm_medium"),
        utm_campaign=found.get("utm_campaign"),
        utm_term=found.get("utm_term"),
        utm_content=found.get("utm_content"),
        click_id=click,
    )


def _host(authority: str) -> str | None:
    host = authority.rpartition("@")[2].strip().lower()
    if host.startswith("["):
        literal, closed, _ = host[1:].partition("]")
        try:
            return f"[{ipaddress.IPv6Address(literal)}]" if closed else None
        except ValueError:
            return None
    host = host.partition(":")[0].rstrip(".")
    return host if len(host) <= MAX_HOST and _HOST.fullmatch(host) else None


def _site(host: str) -> str:
    """A host compared for "same site": no port, no trailing dot, no leading www."""
    host = host.strip().lower()
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    return host.rstrip(".").removeprefix("www.")


@lru_cache(maxsize=4096)
def _classify_host(host: str) -> str:
    name = host.removeprefix("www.")
    if name.startswith("webmail."):
        return "email"
    labels = name.split(".")
    for start in range(len(labels)):
        if klass := _BY_DOMAIN.get(".".join(labels[start:])):
            return klass
    for suffix_labels in (1, 2):
        fits = len(labels) > suffix_labels and (suffix_labels == 1 or len(labels[-2]) <= 3)
        if fits and (klass := _BY_BRAND.get(".".join(labels[:-suffix_labels]) + ".*")):
            return klass
    return "other"


def _locate(referer: str) -> tuple[str, str | None, str | None, bool]:
    """(class before campaign rules, host, path, path truncated) of a non-empty referrer."""
    match = _URL.match(referer)
    scheme, authority, path = (match.group(1), match.group(2), match.group(3)) if match else (None, None, "")
    if scheme is None and authority is None:
        return _locate("//" + referer) if not referer.startswith("/") else ("other", None, None, False)
    scheme = (scheme or "https").lower()
    host = _host(authority) if authority is not None else None
    if host is None:
        return "other", None, None, False
    if scheme == "android-app":
        return ANDROID_APPS.get(host, "other"), host, None, False
    if scheme not in ("http", "https"):
        return "other", None, None, False
    path = path or "/"
    return _classify_host(host), host, path[:MAX_PATH], len(path) > MAX_PATH


def parse_referrer(referer: str, own_host: str, campaign: bool | Campaign = False) -> ReferrerInfo:
    """Host, path and class of a Referer header value; never raises.

    `campaign` says the landing URL carried campaign tags: True, or the parsed Campaign so that
    an e-mail utm_medium can classify the visit as "email". A campaign outranks every class but
    "internal" and "email".
    """
    truncated = len(referer) > MAX_REFERRER
    text = referer[:MAX_REFERRER].strip()
    klass, host, path = "direct", None, None
    if text:
        klass, host, path, path_cut = _locate(text)
        truncated = truncated or path_cut
        own_site = _site(own_host[:MAX_HOST + 8])
        if host is not None and own_site and _site(host) == own_site:
            klass = "internal"
    tagged = campaign.any if isinstance(campaign, Campaign) else campaign
    if tagged and klass in ("direct", "search", "social", "other"):
        klass = "email" if isinstance(campaign, Campaign) and campaign.is_email else "campaign"
    return ReferrerInfo(host=host, path=path, klass=klass, truncated=truncated)
