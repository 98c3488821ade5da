"""Where a visitor is, for the regional regime only: an edge network's location headers (from a
trusted proxy), else the GeoIP country and first subdivision of the client address.

The location chooses the regime and is then dropped: it is stored only where collection stores it
anyway, under the geo field group and its category (docs/regions.md, data minimisation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from consentkit.collect.geo import GeoLookup
    from consentkit.collect.ip import ClientAddress
    from consentkit.http import RequestView

MAX_VALUE = 16
NOT_COUNTRIES = frozenset({"XX", "ZZ", "EU", "AP", "T1"})
"""Codes edge networks and GeoIP use for "unknown", Tor or a continent: no country."""
Source = Literal["edge", "geoip", "none"]


class Location(NamedTuple):
    country: str | None
    """ISO 3166-1 alpha-2, upper case."""
    region: str | None
    """ISO 3166-2 subdivision code without the country prefix (`CA` for `US-CA`)."""
    source: Source


NOWHERE = Location(None, None, "none")


def parse_country(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a header value; None for anything else."""
    # ASCII first: upper() makes "SS" of "ß", and isalpha() takes any script's letters
    if not value or len(value) > MAX_VALUE or not value.isascii():
        return None
    code = value.strip().upper()
    return code if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES else None


def parse_region(country: str | None, value: str | None) -> str | None:
    """The subdivision code of `country` from a header value (`CA` or `US-CA`); None for anything else."""
    if country is None or not value or len(value) > MAX_VALUE or not value.isascii():
        return None
    code = value.strip().upper()
    if code.startswith(country + "-"):
        code = code[3:]
    return code if 1 <= len(code) <= 3 and code.isalnum() else None


def parse_edge(country_value: str | None, region_value: str | None) -> tuple[str | None, str | None]:
    """(country, subdivision) from an edge network's two headers, each strictly checked."""
    country = parse_country(country_value)
    return country, parse_region(country, region_value)


class Locator:
    """The visitor's location as a site's configuration says to find it."""

    __slots__ = ("address", "country_header", "geo", "region_header")

    def __init__(
        self, address: ClientAddress, edge: tuple[str, str | None] | None, geo: GeoLookup | None
    ) -> None:
        self.address = address
        self.country_header: str | None = edge[0] if edge is not None else None
        self.region_header: str | None = edge[1] if edge is not None else None
        self.geo = geo

    def locate(self, request: RequestView) -> Location:
        if self.country_header is not None and self.address.from_trusted_peer(request):
            headers = request.headers
            region_value = headers.get(self.region_header) if self.region_header else None
            country, region = parse_edge(headers.get(self.country_header), region_value)
            if country is not None:
                return Location(country, region, "edge")
        if self.geo is None:
            return NOWHERE
        ip = self.address.of(request)
        if ip is None:
            return Location(None, None, "geoip")
        # Location only, never the network; lookup never raises (collect/geo.py).
        found = self.geo.lookup(ip, want_location=True, want_network=False)
        return Location(found.country, found.region if found.country else None, "geoip")
