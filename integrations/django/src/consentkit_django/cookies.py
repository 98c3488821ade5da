"""consentkit's cookies on a Django response, through Django's cookie jar."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponseBase

from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import CookieSpec


def set_cookies(engine: Engine, ex: Exchange, response: HttpResponseBase, cookies: Iterable[CookieSpec]) -> None:
    """Through Django's cookie jar (`response.cookies`), with the attributes the ASGI and WSGI
    middlewares send: `set_cookie` would also format an Expires date for every cookie, which
    doubles the cost of the session cookie a visitor gets on every page.

    Django keeps one cookie per name on a response: of expiries on several domains, the first (the
    site's own) is sent; banner.js deletes the others that scripts set.
    """
    flags = engine.flags
    secure = flags.secure_for(ex.request.secure)
    samesite = flags.samesite.capitalize()
    jar = response.cookies
    done: set[str] = set()
    for c in cookies:
        if c.name in done:
            continue
        done.add(c.name)
        jar[c.name] = c.value
        m = jar[c.name]
        m["max-age"] = c.max_age
        m["path"] = flags.path
        domain = flags.domain if c.domain is None else c.domain
        if domain:
            m["domain"] = domain
        if c.max_age == 0:
            m["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
        if secure:
            m["secure"] = True
        m["httponly"] = True
        m["samesite"] = samesite
