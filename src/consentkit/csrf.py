"""Which requests may change a visitor's choice: the cross-site request forgery rule.

Modelled on Django's origin check and the Fetch Metadata resource isolation policy. A browser
sends `Sec-Fetch-Site` and `Origin` itself and no page can set them, so they say who made the
request; a client that is not a browser can send anything, but it carries no visitor's cookies
and can only change its own choice. The rule, in order:

1. `Sec-Fetch-Site: same-origin` is accepted. `cross-site` is refused unless the Origin is one of
   `allowed_origins`. A value no browser sends is refused; `same-site` and `none` go on to 2.
2. An `Origin` (other than "null") must be this site's origin or one of `allowed_origins`.
3. Without one, the origin of the `Referer` must be.
4. A request with neither is refused: nothing says which page made it.

"This site's origin" is the Host header with the request's scheme. The scheme may be upgraded,
never downgraded: an https page may post to a site that sees plain http (TLS ended at a proxy),
but an http page (which anyone on the network can write) may not post to an https site. Default
ports are the same as none. A malformed Origin or Referer is a refusal, never an error.
"""

from __future__ import annotations

from consentkit.http import RequestView
from consentkit.urls import split_url

FETCH_SITES = frozenset({"same-origin", "same-site", "none", "cross-site"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int | None]
"""(scheme, lower-case host, port or None for the scheme's default)."""


def origin_of(url: str) -> Origin | None:
    """The origin of an http(s) URL or serialized origin; None if it is not one or is malformed."""
    parts = split_url(url.strip())
    if parts is None or parts.scheme not in _DEFAULT_PORTS or not parts.netloc or "@" in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return None
    host = parts.hostname
    if not host:
        return None
    return parts.scheme, host, None if port == _DEFAULT_PORTS[parts.scheme] else port


def site_origin(req: RequestView) -> Origin | None:
    """This request's own origin: its scheme and its Host header."""
    scheme = "https" if req.secure else "http"
    return origin_of(f"{scheme}://{req.host}") if req.host else None


def refusal(req: RequestView, allowed: tuple[str, ...]) -> str | None:
    """Why this request may not change a choice, or None when it may."""
    fetch_site = req.header("sec-fetch-site").strip().lower()
    if fetch_site == "same-origin":
        return None
    if fetch_site and fetch_site not in FETCH_SITES:
        return "Sec-Fetch-Site has a value no browser sends"
    origin = req.header("origin").strip()
    if origin and origin != "null":
        source, name = origin_of(origin), "Origin"
    else:
        referer = req.header("referer").strip()
        if not referer:
            return "the request carries neither Origin nor Referer"
        source, name = origin_of(referer), "Referer"
    if source is None:
        return f"{name} is not a valid http(s) origin"
    if any(origin_of(a) == source for a in allowed):
        return None
    if fetch_site == "cross-site":
        return "Sec-Fetch-Site says the request comes from another site"
    own = site_origin(req)
    if own is None or source[1:] != own[1:]:
        return f"{name} does not match this site"
    if source[0] != own[0] and source[0] != "https":
        return f"{name} is http but this site is https"
    return None
