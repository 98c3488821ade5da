"""Country, region, city and network of an IP address, from MaxMind databases.

Databases are opened and checked at start-up, so a wrong path or file fails loudly then instead of
silently recording no location for months. Lookups never raise: a visitor's request must not fail
because a database cannot answer.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import geoip2.database
import geoip2.errors
import geoip2.models
import maxminddb

logger = logging.getLogger("consentkit.geo")

MAX_IP = 64
PROBE_RECORDS = 64
DEFAULT_CACHE_SIZE = 8192
# Substrings of metadata().database_type each role accepts, as geoip2's Reader methods check them.
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    "city_db": ("City",),
    "country_db": ("Country", "City"),
    "asn_db": ("GeoLite2-ASN",),
    "isp_db": ("GeoIP2-ISP",),
}

_Model = TypeVar("_Model")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class GeoDatabaseError(Exception):
    """A configured database cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class GeoInfo:
    country: str | None
    """ISO 3166-1 alpha-2 code."""
    region: str | None
    """ISO 3166-2 code of the first subdivision, without the country prefix."""
    city: str | None
    """English name."""
    asn: int | None
    isp: str | None
    """ISP name, or the autonomous system's organisation when no ISP database is configured."""


EMPTY_GEO = GeoInfo(country=None, region=None, city=None, asn=None, isp=None)


def _probe(path: Path) -> None:
    """Decode the first records: some corrupt files open fine and only fail on lookup."""
    with maxminddb.open_database(path, maxminddb.MODE_MMAP) as reader:
        for _ in itertools.islice(reader, PROBE_RECORDS):
            pass


def _open(role: str, location: Path | str) -> geoip2.database.Reader:
    path = Path(location)
    where = f"GeoIP {role} {path}"
    if not path.exists():
        raise GeoDatabaseError(f"{where}: file is missing")
    if not path.is_file():
        raise GeoDatabaseError(f"{where}: not a regular file")
    try:
        reader = geoip2.database.Reader(path)
    except OSError as error:
        raise GeoDatabaseError(f"{where}: cannot be read ({error})") from error
    except (maxminddb.InvalidDatabaseError, ValueError) as error:
        raise GeoDatabaseError(f"{where}: not a MaxMind DB file ({error})") from error
    try:
        db_type = reader.metadata().database_type
        accepted = ACCEPTED_TYPES[role]
        if not any(kind in db_type for kind in accepted):
            wanted = " or ".join(accepted)
            raise GeoDatabaseError(f"{where}: wrong database type {db_type!r}, expected a {wanted} database")
        _probe(path)
    except (maxminddb.InvalidDatabaseError, ValueError, OSError) as error:
        reader.close()
        raise GeoDatabaseError(f"{where}: corrupt MaxMind DB file ({error})") from error
    except GeoDatabaseError:
        reader.close()
        raise
    return reader


class GeoLookup:
    """Looks addresses up in whichever of the four databases are configured."""

    def __init__(
        self,
        *,
        city_db: Path | str | None = None,
        country_db: Path | str | None = None,
        asn_db: Path | str | None = None,
        isp_db: Path | str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._readers: list[geoip2.database.Reader] = []
        self._reported: set[str] = set()
        self._cached = lru_cache(maxsize=cache_size)(self._lookup)
        try:
            city = self._open("city_db", city_db)
            country = self._open("country_db", country_db)
            self._asn = self._open("asn_db", asn_db)
            self._isp = self._open("isp_db", isp_db)
        except GeoDatabaseError:
            self.close()
            raise
        self._city = city.city if city is not None else None
        self._country: Callable[[_Address], geoip2.models.Country] | None = None
        if country is not None:
            is_city = "City" in country.metadata().database_type
            self._country = country.city if is_city else country.country

    def _open(self, role: str, location: Path | str | None) -> geoip2.database.Reader | None:
        if location is None:
            return None
        reader = _open(role, location)
        self._readers.append(reader)
        return reader

    @property
    def enabled(self) -> bool:
        return bool(self._readers)

    def close(self) -> None:
        """Release the databases; later lookups return EMPTY_GEO."""
        self._city = self._country = None
        self._asn = self._isp = None
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self._cached.cache_clear()

    def lookup(self, ip: str, want_location: bool = True, want_network: bool = True) -> GeoInfo:
        """Where `ip` is and whose network it is in; EMPTY_GEO when unknown, private or invalid."""
        if len(ip) > MAX_IP or not (want_location or want_network):
            return EMPTY_GEO
        return self._cached(ip, want_location, want_network)

    def _lookup(self, ip: str, want_location: bool, want_network: bool) -> GeoInfo:
        try:
            addr = ipaddress.ip_address(ip.strip())
        except ValueError:
            return EMPTY_GEO
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if not addr.is_global:
            return EMPTY_GEO
        country = region = city = None
        if want_location:
            country, region, city = self._location(addr)
        asn = isp = None
        if want_network:
            asn, isp = self._network(addr)
        return GeoInfo(country=country, region=region, city=city, asn=asn, isp=isp)

    def _query(self, role: str, method: Callable[[_Address], _Model], addr: _Address) -> _Model | None:
        try:
            return method(addr)
        except geoip2.errors.AddressNotFoundError:
            return None
        except Exception:
            level = logging.DEBUG if role in self._reported else logging.ERROR
            self._reported.add(role)
            logger.log(level, "GeoIP %s lookup of %s failed", role, addr, exc_info=True)
            return None

    def _location(self, addr: _Address) -> tuple[str | None, str | None, str | None]:
        country = region = city = None
        found = self._query("city_db", self._city, addr) if self._city is not None else None
        if found is not None:
            country = found.country.iso_code
            region = found.subdivisions[0].iso_code if found.subdivisions else None
            city = found.city.name
        if country is None and self._country is not None:
            in_country = self._query("country_db", self._country, addr)
            country = in_country.country.iso_code if in_country is not None else None
        return country, region, city

    def _network(self, addr: _Address) -> tuple[int | None, str | None]:
        asn = isp = organisation = None
        found = self._query("isp_db", self._isp.isp, addr) if self._isp is not None else None
        if found is not None:
            asn, isp = found.autonomous_system_number, found.isp
            organisation = found.autonomous_system_organization
        if self._asn is not None and (asn is None or organisation is None):
            in_asn = self._query("asn_db", self._asn.asn, addr)
            if in_asn is not None:
                asn = asn if asn is not None else in_asn.autonomous_system_number
                organisation = organisation or in_asn.autonomous_system_organization
        return asn, isp or organisation
