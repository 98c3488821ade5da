"""Browser, operating system and device class from the User-Agent header.

Families come from ua-parser's native resolver; the desktop / mobile / tablet / bot split follows
the rules of the user-agents package, applied here to the ua-parser result because user-agents'
own parse path costs a millisecond a call and loads a second copy of every pattern. Results are
cached: a site sees the same few hundred user agents over and over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

from ua_parser import OS, Device, UserAgent, load_lazy_builtins
from ua_parser.regex import Resolver

from consentkit.boundedcache import BoundedCache

from .bots import is_known_bot

MAX_USER_AGENT = 2048
DEFAULT_CACHE_SIZE = 4096
UNKNOWN_FAMILY = "Other"
DEVICE_CLASSES = frozenset({"desktop", "mobile", "tablet", "bot", "other"})

# Rule tables of user-agents 2.2 (user_agents/parsers.py, MIT licence: LICENSES/user-agents.txt).
MOBILE_DEVICE_FAMILIES = frozenset(
    {"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone", "PlayStation Vita", "iOS-Device"}
)
PC_OS_FAMILIES = frozenset({"Windows 95", "Windows 98", "Solaris"})
MOBILE_OS_FAMILIES = frozenset(
    {
        "Windows Phone",
        "Windows Phone OS",
        "Symbian OS",
        "Bada",
        "Windows CE",
        "Windows Mobile",
        "Maemo",
    }
)
MOBILE_BROWSER_FAMILIES = frozenset(
    {
        "IE Mobile",
        "Opera Mobile",
        "Opera Mini",
        "Chrome Mobile",
        "Chrome Mobile WebView",
        "Chrome Mobile iOS",
    }
)
TABLET_DEVICE_FAMILIES = frozenset(
    {
        "iPad",
        "BlackBerry Playbook",
        "Blackberry Playbook",
        "Kindle",
        "Kindle Fire",
        "Kindle Fire HD",
        "Galaxy Tab",
        "Xoom",
        "Dell Streak",
    }
)
GENERIC_BRANDS = ("Generic", "Spider")


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device: str
    """One of DEVICE_CLASSES."""
    device_brand: str | None
    device_model: str | None
    is_bot: bool
    truncated: bool


@lru_cache(maxsize=1)
def _parser() -> Resolver:
    """ua-parser's native resolver. Its three extractors are called directly: `Parser` around them
    adds flag tests and result objects worth a fifth of a parse."""
    return Resolver(load_lazy_builtins())


_NO_BROWSER, _NO_OS, _NO_DEVICE = UserAgent(), OS(), Device()


def _version(major: str | None, minor: str | None) -> str | None:
    if not major:
        return None
    return f"{major}.{minor}" if minor else major


def _family(family: str) -> str | None:
    return None if family == UNKNOWN_FAMILY else family


def _os_version(os: OS) -> str:
    """The version string user-agents' rules look at ("10", "RT", "ME", "8.1")."""
    return ".".join(part for part in (os.major, os.minor, os.patch) if part)


def _is_tablet(ua: str, browser: UserAgent, os: OS, device: Device) -> bool:
    if device.family in TABLET_DEVICE_FAMILIES:
        return True
    if os.family == "Android" and "Mobile Safari" not in ua and browser.family != "Firefox Mobile":
        return True
    if os.family == "Windows" and _os_version(os).startswith("RT"):
        return True
    return os.family == "Firefox OS" and "Mobile" not in browser.family


def _is_mobile(ua: str, browser: UserAgent, os: OS, device: Device) -> bool:
    """user-agents' is_mobile for a user agent known to be neither a bot nor a tablet."""
    return (
        device.family in MOBILE_DEVICE_FAMILIES
        or browser.family in MOBILE_BROWSER_FAMILIES
        or os.family in ("Android", "Firefox OS")
        or (os.family == "BlackBerry OS" and device.family != "Blackberry Playbook")
        or os.family in MOBILE_OS_FAMILIES
        or "J2ME" in ua
        or "MIDP" in ua
        or "iPhone;" in ua
        or ("NokiaBrowser" in ua and "Mobile" in ua)
    )


def _is_pc(ua: str, os: OS) -> bool:
    if "Windows NT" in ua or os.family in PC_OS_FAMILIES:
        return True
    if os.family == "Windows" and _os_version(os) == "ME":
        return True
    if os.family == "Mac OS X" and "Silk" not in ua:
        return True
    if "Maemo" in ua:
        return False
    return "Chrome OS" in os.family or ("Linux" in ua and "X11" in ua)


def _device_class(ua: str, browser: UserAgent, os: OS, device: Device) -> str:
    if device.family == "Spider" or is_known_bot(ua):
        return "bot"
    if _is_tablet(ua, browser, os, device):
        return "tablet"
    if _is_mobile(ua, browser, os, device):
        return "mobile"
    if _is_pc(ua, os):
        return "desktop"
    return "other"


def _resolve(ua: str) -> tuple[UserAgent, OS, Device]:
    """The three matches; they carry the same fields as ua-parser's result types."""
    r = _parser()
    try:
        found = r.ua.extract(ua), r.os.extract(ua), r.de.extract(ua)
    except UnicodeEncodeError:
        # lone surrogates cannot reach the native resolver; real headers never carry them
        clean = ua.encode("utf-8", "replace").decode("utf-8")
        found = r.ua.extract(clean), r.os.extract(clean), r.de.extract(clean)
    return cast(UserAgent, found[0] or _NO_BROWSER), cast(OS, found[1] or _NO_OS), cast(Device, found[2] or _NO_DEVICE)


def _parse(ua: str) -> UserAgentInfo:
    browser, os, device = _resolve(ua)
    device_class = _device_class(ua, browser, os, device)
    brand = device.brand
    model = device.model
    if brand is not None and brand.startswith(GENERIC_BRANDS):
        brand = None
        model = None if device.family == "Spider" else model
    return UserAgentInfo(
        browser=_family(browser.family),
        browser_version=_version(browser.major, browser.minor),
        os=_family(os.family),
        os_version=_version(os.major, os.minor),
        device=device_class,
        device_brand=brand,
        device_model=model,
        is_bot=device_class == "bot",
        truncated=False,
    )


_parsed: BoundedCache[str, UserAgentInfo] = BoundedCache(DEFAULT_CACHE_SIZE)
"""Bounded by count and by bytes: a client can send a different long header each time."""


def _cached_parse(ua: str) -> UserAgentInfo:
    hit = _parsed.get(ua)
    if hit is None:
        hit = _parse(ua)
        _parsed.put(ua, hit)
    return hit


def set_cache_size(size: int) -> None:
    """Replace the parse cache with an empty one holding at most `size` user agents."""
    global _parsed
    if size < 0:
        raise ValueError("cache size must be >= 0")
    _parsed = BoundedCache(size)


def parse_user_agent(ua: str) -> UserAgentInfo:
    """What the User-Agent header says; never raises, longer headers are cut to MAX_USER_AGENT."""
    if len(ua) <= MAX_USER_AGENT:
        return _cached_parse(ua)
    return replace(_cached_parse(ua[:MAX_USER_AGENT]), truncated=True)
