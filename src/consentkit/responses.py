"""Cookie control on a response as a list of (name, value) headers: what the ASGI and WSGI
middlewares and consentkit's own replies send. The core's `CookiePlan` decides; this applies it to
the Set-Cookie and Vary headers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consentkit.cookielife import count_lifetimes
from consentkit.cookieparse import set_cookie_name
from consentkit.http import is_html, merge_vary
from consentkit.regioncache import mark_private

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange
    from consentkit.policy import Effective

def response_headers(
    engine: Engine, ex: Exchange, headers: list[tuple[str, str]], effective: Effective | None = None, *,
    html: bool = False,
) -> list[tuple[str, str]]:
    """The app's headers with cookie control applied, consentkit's cookies and Vary added.

    `headers` may be just the app's Set-Cookie and Vary headers, with `html` saying whether the
    response is an HTML page: the result then replaces those. Never raises (`guard`).
    """
    out: list[tuple[str, str]] = []
    names: list[str] = []
    vary_at = -1
    for name, value in headers:
        lname = name.lower()
        if lname == "set-cookie":
            names.append(set_cookie_name(value))
        elif lname == "vary":
            vary_at = len(out)
        elif lname == "content-type" and is_html(value):
            html = True
        out.append((name, value))
    plan = engine.cookie_plan(ex, names, effective, html=html)
    if plan.drop:
        out = [(k, v) for k, v in out if k.lower() != "set-cookie" or set_cookie_name(v) not in plan.drop]
        vary_at = next((i for i, (k, _) in enumerate(out) if k.lower() == "vary"), -1)
    if names:  # for the cookie declaration: how long the app's cookies let through live
        count_lifetimes(engine.writer, out)
    if plan.add:
        out.extend(engine.set_cookie_headers(ex, plan.add))
    if plan.vary:
        merge_vary(out, engine.vary, vary_at)
        if ex.located == "geoip":  # nothing in the request says where the visitor is
            mark_private(out)
    return out
