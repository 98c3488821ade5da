"""Country, region, city and network of an IP address, from MaxMind databases.

Databases are opened and checked at start-up, so a wrong path or file fails loudly then instead of
silently recording no location for months. Lookups never raise: a visitor's request must not fail
because a database cannot answer. The reader, maxminddb, comes with the `geo` extra and is imported
only when a database is configured.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consentkit.collect.ip import address_text, parse_ip
from consentkit.collect.publicip import is_global

if TYPE_CHECKING:
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
    import maxminddb

    with maxminddb.open_database(path, maxminddb.MODE_MMAP) as reader:
        for _ in itertools.islice(reader, PROBE_RECORDS):
            pass


def _open(role: str, location: Path | str) -> maxminddb.Reader:
    path = Path(location)
    where = f"GeoIP {role} {path}"
    if not path.exists():
        raise GeoDatabaseError(f"{where}: file is missing")
    if not path.is_file():
        raise GeoDatabaseError(f"{where}: not a regular file")
    try:
        import maxminddb
    except ImportError:
        raise GeoDatabaseError(f"{where}: reading it needs maxminddb: pip install 'consentkit[geo]'") from None
    try:
        reader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
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


Record = dict[str, Any]


def _get(record: Record | None, *keys: str | int) -> Any:
    value: Any = record
    for key in keys:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int):
            value = value[key] if len(value) > key else None
        else:
            return None
    return value


class GeoLookup:
    """Looks addresses up in whichever of the four databases are configured.

    Records are read with maxminddb directly (the same readers geoip2 wraps): building geoip2's
    model objects costs more than the lookup itself on the request path.
    """

    def __init__(
        self,
        *,
        city_db: Path | str | None = None,
        country_db: Path | str | None = None,
        asn_db: Path | str | None = None,
        isp_db: Path | str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._readers: list[maxminddb.Reader] = []
        self._reported: set[str] = set()
        self._cached = lru_cache(maxsize=cache_size)(self._lookup)
        try:
            self._city = self._open("city_db", city_db)
            self._country = self._open("country_db", country_db)
            self._asn = self._open("asn_db", asn_db)
            self._isp = self._open("isp_db", isp_db)
        except GeoDatabaseError:
            self.close()
            raise

    def _open(self, role: str, location: Path | str | None) -> maxminddb.Reader | None:
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
        self._city = self._country = self._asn = self._isp = None
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
        addr = parse_ip(ip.strip())  # IPv4-mapped IPv6 comes back as IPv4
        if addr is None or not is_global(addr):  # private, reserved...: a location would be meaningless
            return EMPTY_GEO
        ip = address_text(addr)
        country = region = city = None
        if want_location:
            country, region, city = self._location(ip)
        asn = isp = None
        if want_network:
            asn, isp = self._network(ip)
        return GeoInfo(country=country, region=region, city=city, asn=asn, isp=isp)

    def _query(self, role: str, reader: maxminddb.Reader | None, ip: str) -> Record | None:
        if reader is None:
            return None
        try:
            found = reader.get(ip)
        except ValueError:  # not an address
            return None
        except Exception:
            level = logging.DEBUG if role in self._reported else logging.ERROR
            self._reported.add(role)
            logger.log(level, "GeoIP %s lookup of %s failed", role, ip, exc_info=True)
            return None
        return found if isinstance(found, dict) else None

    def _location(self, ip: str) -> tuple[str | None, str | None, str | None]:
        found = self._query("city_db", self._city, ip)
        country = _get(found, "country", "iso_code")
        region = _get(found, "subdivisions", 0, "iso_code")
        city = _get(found, "city", "names", "en")
        if country is None and self._country is not None:
            country = _get(self._query("country_db", self._country, ip), "country", "iso_code")
        return country, region, city

    def _network(self, ip: str) -> tuple[int | None, str | None]:
        found = self._query("isp_db", self._isp, ip)
        asn = _get(found, "autonomous_system_number")
        isp = _get(found, "isp")
        organisation = _get(found, "autonomous_system_organization")
        if self._asn is not None and (asn is None or organisation is None):
            in_asn = self._query("asn_db", self._asn, ip)
            asn = asn if asn is not None else _get(in_asn, "autonomous_system_number")
            organisation = organisation or _get(in_asn, "autonomous_system_organization")
        return asn, isp or organisation
