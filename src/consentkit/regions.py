"""Regional consent regimes: which rules apply where (`regions` in the configuration).

A regime is a name, the places it covers and a mode: `opt_in` (nothing optional before a choice),
`opt_out` (named categories in effect until the visitor opts out; GPC opts out of the categories
marked `sale_or_sharing`) or `notice` (categories in effect by default, choices honoured). The
first regime listing a place wins; a place none lists gets `fallback`. docs/regions.md.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from consentkit.banner.settings import LangTag, Text, TextKey, same_placeholders
from consentkit.policy import RegimeMode
from consentkit.regions_default import DEFAULT_REGIMES
from consentkit.strict import CategoryKey, Strict

PLACE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?\Z")
"""An ISO 3166-1 alpha-2 country (`DE`) or an ISO 3166-2 subdivision (`US-CA`)."""
EdgeSource = Literal["cloudflare", "cloudfront", "fastly", "vercel", "appengine"]

EDGE_HEADERS: dict[str, tuple[str, str | None]] = {
    "cloudflare": ("cf-ipcountry", "cf-region-code"),
    "cloudfront": ("cloudfront-viewer-country", "cloudfront-viewer-country-region"),
    "fastly": ("fastly-geo-country", "fastly-geo-region"),
    "vercel": ("x-vercel-ip-country", "x-vercel-ip-country-region"),
    "appengine": ("x-appengine-country", "x-appengine-region"),
}
"""Per edge network: the request headers holding the visitor's country and subdivision. Fastly
sets none by itself: the site's VCL copies `client.geo.country_code` and `client.geo.region` into
these two names (docs/regions.md)."""
EDGE_HEADER_NAMES = frozenset(h for pair in EDGE_HEADERS.values() for h in pair if h is not None)


class Regime(Strict):
    name: CategoryKey
    """Reported in the state, the ledger, the template context and the consent counters."""
    places: tuple[str, ...] = ()
    """ISO 3166-1 alpha-2 countries (`DE`) and ISO 3166-2 subdivisions (`US-CA`), upper case."""
    mode: RegimeMode = "opt_in"
    """opt_in: nothing optional before a choice; opt_out: `default_granted` in effect until the
    visitor opts out, GPC opting out of `sale_or_sharing` categories; notice: informational banner,
    `default_granted` in effect, choices honoured."""
    default_granted: tuple[str, ...] | None = None
    """Categories in effect before a choice. None: the site's `default_granted` for opt_in,
    every optional category for opt_out and notice."""
    texts: dict[LangTag, dict[TextKey, Text]] = Field(default_factory=dict)
    """Per language, banner texts for this regime's visitors, over `banner.texts` (keys as in
    locales/en.json): "Your California Privacy Choices" as `optout_link` of a California regime, say."""

    @field_validator("places")
    @classmethod
    def _iso_places(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for place in v:
            if not PLACE.match(place):
                raise ValueError(f"{place!r} is not an ISO 3166-1 country (DE) or ISO 3166-2 subdivision (US-CA)")
        return v

    @field_validator("texts")
    @classmethod
    def _placeholders(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return same_placeholders(v)


def _default_regimes() -> tuple[Regime, ...]:
    return tuple(Regime.model_validate(r) for r in DEFAULT_REGIMES)


class RegionsConfig(Strict):
    regimes: tuple[Regime, ...] = Field(default_factory=_default_regimes)
    """Ordered: the first regime listing a place wins. Default: the shipped, dated mapping
    (EEA, UK and CH opt_in; US states whose laws make GPC binding opt_out; docs/regions.md)."""
    fallback: Regime = Regime(name="fallback", mode="opt_in")
    """The regime of a visitor whose location is unknown or listed by no regime."""
    edge: EdgeSource | None = None
    """The edge network or CDN whose location headers are believed (from `trusted_proxies` only).
    Unset: the GeoIP database (`collection.geoip_city_db` or `geoip_country_db`)."""

    def problems(self, known: frozenset[str]) -> list[str]:
        """Configuration problems that need the site's categories."""
        out: list[str] = []
        names = [r.name for r in (*self.regimes, self.fallback)]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            out.append(f"regions: duplicate regime name {dup!r}")
        for r in (*self.regimes, self.fallback):
            for key in r.default_granted or ():
                if key not in known:
                    out.append(f"regions.{r.name}.default_granted: unknown category {key!r}")
        return out


class RegimeTable:
    """Place → regime, as the ordered list says, in at most two dict lookups."""

    __slots__ = ("_by_place", "fallback")

    def __init__(self, regions: RegionsConfig) -> None:
        self.fallback = regions.fallback
        self._by_place: dict[str, tuple[int, Regime]] = {}
        for i, regime in enumerate(regions.regimes):
            for place in regime.places:
                self._by_place.setdefault(place, (i, regime))

    def regime(self, country: str | None, region: str | None) -> Regime:
        """The regime for a country and its subdivision (without the country prefix)."""
        if country is None:
            return self.fallback
        whole = self._by_place.get(country)
        part = self._by_place.get(f"{country}-{region}") if region else None
        if part is not None and (whole is None or part[0] < whole[0]):
            return part[1]
        return whole[1] if whole is not None else self.fallback
