"""The regional regimes of a site as the engine uses them: each regime's rules (`policy.regime_rules`)
and its own cache of Cookie-header decisions, and the visitor's regime for a request.

Built only when the configuration has `regions`: without it no location is looked up at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from consentkit import guard
from consentkit.boundedcache import BoundedCache
from consentkit.location import Location, Locator
from consentkit.policy import Rules
from consentkit.regions import EDGE_HEADERS, Regime, RegimeTable, RegionsConfig

if TYPE_CHECKING:
    from consentkit.collect.geo import GeoLookup
    from consentkit.collect.ip import ClientAddress
    from consentkit.config import ConsentConfig
    from consentkit.exchange import CookieDecision
    from consentkit.http import RequestView
    from consentkit.signals import Signals
    from consentkit.storage.writer import Writer

DECISIONS_PER_REGIME = 4096


@dataclass(slots=True)
class RegimeInUse:
    regime: Regime
    rules: Rules
    decisions: BoundedCache[tuple[str, Signals], CookieDecision]
    """What a Cookie header decides under this regime (the engine's cache, one per regime)."""


class Regional:
    __slots__ = ("_by_name", "_fallback", "_own_geo", "_table", "_writer", "headers", "locator", "vary")

    def __init__(
        self, cfg: ConsentConfig, regions: RegionsConfig, address: ClientAddress, geo: GeoLookup | None,
        writer: Writer,
    ) -> None:
        self._writer = writer
        self._by_name: dict[str, RegimeInUse] = {}
        for regime in (*regions.regimes, regions.fallback):
            rules = cfg.regime_rules[regime.name]
            self._by_name[regime.name] = RegimeInUse(regime, rules, BoundedCache(DECISIONS_PER_REGIME))
        self._table = RegimeTable(regions)
        self._fallback = self._by_name[regions.fallback.name]
        self._own_geo: GeoLookup | None = None
        if geo is None:
            geo = self._own_geo = _open_geo(cfg)
        edge = EDGE_HEADERS[regions.edge] if regions.edge is not None else None
        self.locator = Locator(address, edge, geo)
        names = [h for h in edge or () if h is not None]
        self.headers = frozenset(names)
        """The edge network's location headers it reads (none without `regions.edge`)."""
        self.vary = ", ".join(_title(h) for h in names)
        """The edge headers a page's consent now varies with ("" without an edge network)."""

    def regime_of(self, request: RequestView) -> tuple[RegimeInUse, str]:
        """The visitor's regime, and where their location came from (`Exchange.located`). Never
        raises: if locating fails, the fallback regime, with the page kept out of shared caches."""
        try:
            location = self.locator.locate(request)
            return self.pick(location), location.source
        except Exception:  # noqa: BLE001 - logged and counted by guard.report
            guard.report(self._writer, "location")
            return self._fallback, "geoip"

    def pick(self, location: Location) -> RegimeInUse:
        return self._by_name[self._table.regime(location.country, location.region).name]

    def named(self, name: str) -> RegimeInUse | None:
        return self._by_name.get(name)

    @property
    def honours_gpc(self) -> bool:
        """Whether GPC takes anything away under some regime (an opt_out regime's sale or sharing)."""
        return any(r.rules.gpc_denies for r in self._by_name.values())

    def close(self) -> None:
        if self._own_geo is not None:
            self._own_geo.close()


def _title(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


def _open_geo(cfg: ConsentConfig) -> GeoLookup | None:
    """The GeoIP database for regimes alone, when collection does not have it open already."""
    col = cfg.collection
    if col.geoip_city_db is None and col.geoip_country_db is None:
        return None
    from consentkit.collect.geo import GeoDatabaseError, GeoLookup
    from consentkit.errors import ConfigError

    try:
        return GeoLookup(city_db=col.geoip_city_db, country_db=col.geoip_country_db, cache_size=col.geo_cache_size)
    except GeoDatabaseError as exc:
        raise ConfigError([f"collection.geoip_*: {exc}"]) from None
