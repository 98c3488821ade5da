"""A small framework-free view of an HTTP request and reply.

The ASGI and WSGI middlewares translate into these; everything else in the core works on them only.
Header values are decoded as latin-1, which never fails, so garbage bytes cannot raise here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from consentkit.boundedcache import BoundedCache
from consentkit.cookieparse import parse_cookie_header

MAX_QUERY = 4096
VARY = "Cookie, Sec-GPC, DNT"
"""The request headers a consent-dependent response varies with (for shared caches)."""


def merge_vary(headers: list[tuple[str, str]], vary: str, at: int) -> None:
    """Make the Vary header of `headers` (at index `at`, -1 when there is none) name what `vary`
    ("Cookie, Sec-GPC, DNT") names too."""
    if at < 0:
        headers.append(("vary", vary))
        return
    name, value = headers[at]
    have = {v.strip().lower() for v in value.split(",")}
    if "*" not in have:
        missing = [v for v in vary.split(", ") if v.lower() not in have]
        if missing:
            headers[at] = (name, ", ".join([value, *missing]))


@dataclass(slots=True)
class RequestView:
    """What consentkit needs to know about one request."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    """Lower-case names; repeated headers joined with ", " (cookies with "; ")."""
    client: str | None
    """The socket peer's address, before any forwarded-header processing."""
    scheme: str = "http"
    _cookies: dict[str, str] | None = field(default=None, repr=False)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            self._cookies = parse_cookie_header(self.headers.get("cookie", ""))
        return self._cookies

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @property
    def secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string[:MAX_QUERY], keep_blank_values=True)


CHAIN_HEADERS = ("x-forwarded-for", "forwarded")
"""Forwarding headers listing every hop, each proxy appending the address it saw."""
EDGE_HEADERS = ("cf-connecting-ip", "true-client-ip", "x-real-ip", "fastly-client-ip", "fly-client-ip")
"""Headers an edge network or a proxy sets to the one address it saw, replacing what it was sent."""
PROXY_HEADERS = CHAIN_HEADERS + EDGE_HEADERS
"""The headers `proxy_headers` may name: the site's choice of one is read, the others never."""

LOCATION_HEADERS = (
    "cf-ipcountry", "cf-region-code", "cloudfront-viewer-country", "cloudfront-viewer-country-region",
    "fastly-geo-country", "fastly-geo-region", "x-vercel-ip-country", "x-vercel-ip-country-region",
    "x-appengine-country", "x-appengine-region",
)
"""Edge networks' visitor-location headers (`regions.edge`; believed from trusted proxies only)."""

READ_HEADERS = frozenset({
    "accept-language", "content-length", "content-type", "cookie", "dnt", "host", "if-none-match", "origin",
    "purpose", "referer", "sec-fetch-site", "sec-gpc", "sec-purpose", "user-agent", "x-moz", *PROXY_HEADERS,
    *LOCATION_HEADERS,
})
"""Every request header the core reads. Only these are decoded from ASGI's bytes (a browser sends
twice as many), so a header added to the code must be added here: a test holds the two together.
The proxy header a site configures is one of `PROXY_HEADERS`, so all of them are here."""
_READ_RAW: dict[bytes, str] = {h.encode(): h for h in READ_HEADERS}
"""Raw name → the one str object of that name: no decoding per request, and a str whose hash is
already known to every later lookup."""
NAMES_MAX = 2048
_NAMES: BoundedCache[bytes, str] = BoundedCache(NAMES_MAX)
"""Raw names seen so far → their name, or "" for a header the core does not read: one lookup per
header, whatever its case. Bounded, since clients choose header names."""
for _raw, _name in _READ_RAW.items():
    _NAMES.put(_raw, _name)


def headers_from_asgi(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    seen = _NAMES.get
    for k, v in raw:
        name = seen(k)
        if name is None:
            name = _learn(k)
        if not name:
            continue
        value = v.decode("latin-1")
        if name in out:
            out[name] = out[name] + ("; " if name == "cookie" else ", ") + value
        else:
            out[name] = value
    return out


def names_known() -> int:
    """How many raw header names `headers_from_asgi` knows now (at most `NAMES_MAX`)."""
    return len(_NAMES)


def _learn(raw_name: bytes) -> str:
    # Servers send lower-case names, but the ASGI spec does not promise it.
    name = _READ_RAW.get(raw_name.lower(), "")
    _NAMES.put(raw_name, name)
    return name


def environ_keys(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """WSGI environ key → header name, for the headers `names` (PEP 3333 keeps Content-Type and
    Content-Length out of the HTTP_ keys)."""
    cgi = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
    return tuple((cgi.get(n) or "HTTP_" + n.upper().replace("-", "_"), n) for n in sorted(names))


ENVIRON_KEYS = environ_keys(READ_HEADERS)
"""Every header the core reads; an engine looks up only those its site reads (`site_environ_keys`)."""


def site_environ_keys(proxy_header: str | None, location: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`environ_keys` of the headers one site reads: of the forwarding and location headers, only
    its proxy's one (`proxy_headers`) and its edge network's (`regions.edge`)."""
    unread = {*PROXY_HEADERS, *LOCATION_HEADERS} - {proxy_header, *location}
    return environ_keys(READ_HEADERS - unread)


def headers_from_environ(
    environ: Mapping[str, Any], scheme: str | None = None, keys: tuple[tuple[str, str], ...] = ENVIRON_KEYS
) -> dict[str, str]:
    """The request headers the core reads, from a WSGI environ (or Django's META).

    Looks up only `keys` (`environ_keys`): a browser sends many more headers, and an environ holds
    the server's keys too. `scheme` (default: wsgi.url_scheme) decides the default port when Host
    must be rebuilt.
    """
    out: dict[str, str] = {}
    get = environ.get
    for key, name in keys:
        value = get(key)
        if value:
            out[name] = str(value)
    if "host" not in out and get("SERVER_NAME"):
        # HTTP/1.0 clients and some test clients send no Host; PEP 3333 says to rebuild it so.
        port = str(get("SERVER_PORT", ""))
        default = "443" if (scheme or get("wsgi.url_scheme")) == "https" else "80"
        out["host"] = str(environ["SERVER_NAME"]) + ("" if port in ("", default) else f":{port}")
    return out


class CookieSpec(NamedTuple):
    """A cookie consentkit sets, as a value: the ASGI and WSGI middlewares render it
    (`CookieFlags.header`), Django hands it to `response.set_cookie`. `max_age` 0 expires it."""

    name: str
    value: str
    max_age: int
    domain: str | None = None
    """None: the site's (`cookies.domain`, else host-only); "": host-only; else that domain."""


class CookiePlan(NamedTuple):
    """What cookie control does to one response (`Engine.cookie_plan`)."""

    drop: frozenset[str]
    """Names of the app's cookies to remove: their category is not in effect."""
    add: tuple[CookieSpec, ...]
    """consentkit's own: expiries of withdrawn categories' cookies, then the id cookies."""
    vary: bool
    """Whether the response depends on the request's consent (Vary: Cookie, Sec-GPC, DNT)."""


@dataclass(slots=True)
class Reply:
    """A response produced by consentkit itself (its endpoints), framework-free."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[CookieSpec] = field(default_factory=list)
    """Cookies to set with it, rendered or handed over by each adapter."""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        hdrs = [("content-type", "application/json"), ("cache-control", "no-store")]
        return cls(status, body, hdrs + (headers or []))

    @classmethod
    def error(cls, status: int, message: str, **extra: Any) -> Reply:
        return cls.json({"error": message, **extra}, status=status)


MAX_LENGTH_DIGITS = 18
"""More digits than any body consentkit reads could need, and still a machine-sized int."""


def content_length(value: str) -> int | None:
    """A Content-Length value as a number; None when it is not one (RFC 9110: ASCII digits only).

    `str.isdigit` alone is not enough: "²" is a digit to it and `int("²")` raises.
    """
    value = value.strip()
    if not value or len(value) > MAX_LENGTH_DIGITS or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def is_html(content_type: str) -> bool:
    """Whether a response is an HTML page (what collection counts, the chat and the banner go into)."""
    return content_type[:9].lower() == "text/html"
