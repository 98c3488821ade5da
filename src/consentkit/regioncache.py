"""Shared caches under regional regimes: a page's consent now depends on where the visitor is.

Located by an edge network's headers, a consent-dependent response varies with those headers too
(a CDN keys its cache on them: docs/regions.md). Located by GeoIP, nothing in the request says
where the visitor is, so such a response is marked private: only the visitor's own browser keeps it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consentkit.http import merge_vary

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange

_SHARED_ONLY = ("public", "s-maxage")


def private_cache_control(value: str | None) -> str:
    """`value` (a Cache-Control header, or None) as a response no shared cache may keep."""
    if not value:
        return "private"
    directives = [d.strip() for d in value.split(",") if d.strip()]
    names = {d.partition("=")[0].strip().lower() for d in directives}
    if "private" in names or "no-store" in names:
        return value
    kept = [d for d in directives if d.partition("=")[0].strip().lower() not in _SHARED_ONLY]
    return ", ".join(["private", *kept])


def regional_headers(engine: Engine, ex: Exchange, headers: list[tuple[str, str]]) -> None:
    """A reply of consentkit's own that varies with consent (`ex.located` is set: the site has
    regions): its Vary names the edge headers too, and one located by GeoIP is private."""
    merge_vary(headers, engine.vary, next((i for i, (k, _) in enumerate(headers) if k.lower() == "vary"), -1))
    if ex.located == "geoip":
        mark_private(headers)


def mark_private(headers: list[tuple[str, str]]) -> None:
    """Make the Cache-Control header of `headers` keep shared caches out (`private_cache_control`)."""
    for i, (name, value) in enumerate(headers):
        if name.lower() == "cache-control":
            headers[i] = (name, private_cache_control(value))
            return
    headers.append(("cache-control", "private"))
