"""Shared caches under regional regimes: a page's consent now depends on where the visitor is.

Located by an edge network's headers, a consent-dependent response varies with those headers too
(a CDN keys its cache on them: docs/regions.md). Located by GeoIP, nothing in the request says
where the visitor is, so such a response is marked private: only the visitor's own browser keeps it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from consentkit.http import VARY

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
    """Add the edge headers to Vary, or mark the response private, in a header list already carrying
    consentkit's Vary (`ex.located` is set: the site has regions)."""
    regional = engine.regional
    extra = regional.vary if regional is not None else ""
    if extra:
        _vary_also(headers, extra)
    if ex.located == "geoip":
        _private(headers)


def _vary_also(headers: list[tuple[str, str]], extra: str) -> None:
    if headers and headers[-1] == ("vary", VARY):  # consentkit's own Vary, the usual case
        headers[-1] = ("vary", f"{VARY}, {extra}")
        return
    for i, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            have = {v.strip().lower() for v in value.split(",")}
            if "*" not in have:
                missing = [v for v in extra.split(", ") if v.lower() not in have]
                if missing:
                    headers[i] = (name, ", ".join([value, *missing]))
            return


def _private(headers: list[tuple[str, str]]) -> None:
    for i, (name, value) in enumerate(headers):
        if name.lower() == "cache-control":
            headers[i] = (name, private_cache_control(value))
            return
    headers.append(("cache-control", "private"))
