from __future__ import annotations

import ipaddress
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import maxminddb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit.collect.geo import EMPTY_GEO, GeoDatabaseError, GeoInfo, GeoLookup

DATA = Path(__file__).resolve().parent.parent / "data" / "maxmind"
CITY = DATA / "GeoIP2-City-Test.mmdb"
COUNTRY = DATA / "GeoIP2-Country-Test.mmdb"
ASN = DATA / "GeoLite2-ASN-Test.mmdb"
ISP = DATA / "GeoIP2-ISP-Test.mmdb"
BROKEN = DATA / "GeoIP2-City-Test-Broken-Double-Format.mmdb"


@pytest.fixture
def geo() -> Iterator[GeoLookup]:
    lookup = GeoLookup(city_db=CITY, asn_db=ASN)
    yield lookup
    lookup.close()


@pytest.mark.parametrize(
    ("ip", "country", "region", "city"),
    [
        ("81.2.69.142", "GB", "ENG", "London"),
        ("2.125.160.216", "GB", "ENG", "Boxford"),
        ("89.160.20.112", "SE", "E", "Linköping"),
        ("216.160.83.56", "US", "WA", "Milton"),
        ("2001:480:10::1", "US", "CA", "San Diego"),
        ("::ffff:81.2.69.142", "GB", "ENG", "London"),
        ("2a02:d280::1", "CZ", None, None),
    ],
)
def test_city_lookup(geo: GeoLookup, ip: str, country: str, region: str | None, city: str | None) -> None:
    found = geo.lookup(ip)
    assert (found.country, found.region, found.city) == (country, region, city)


def test_asn_lookup(geo: GeoLookup) -> None:
    assert geo.lookup("89.160.20.112") == GeoInfo("SE", "E", "Linköping", 29518, "Bredband2 AB")
    assert geo.lookup("1.128.0.1").asn == 1221
    assert geo.lookup("2001:1700::1", want_location=False) == GeoInfo(
        None, None, None, 6730, "Sunrise Communications AG"
    )


def test_isp_database_names_the_isp() -> None:
    lookup = GeoLookup(asn_db=ASN, isp_db=ISP)
    try:
        assert lookup.lookup("1.128.0.1") == GeoInfo(None, None, None, 1221, "Telstra Internet")
        assert lookup.lookup("216.160.83.56").isp == "Century Link"
    finally:
        lookup.close()


def test_flags_select_what_is_looked_up(geo: GeoLookup) -> None:
    assert geo.lookup("89.160.20.112", want_network=False) == GeoInfo("SE", "E", "Linköping", None, None)
    assert geo.lookup("89.160.20.112", want_location=False) == GeoInfo(None, None, None, 29518, "Bredband2 AB")
    assert geo.lookup("89.160.20.112", want_location=False, want_network=False) == EMPTY_GEO


@pytest.mark.parametrize(
    "ip", ["1.1.1.1", "10.0.0.1", "127.0.0.1", "192.168.1.1", "::1", "fe80::1", "not an ip", "", "1" * 500]
)
def test_unknown_private_and_invalid_addresses_are_empty(geo: GeoLookup, ip: str) -> None:
    assert geo.lookup(ip) == EMPTY_GEO


def test_country_database_and_city_as_country() -> None:
    by_country = GeoLookup(country_db=COUNTRY)
    by_city = GeoLookup(country_db=CITY)
    try:
        assert by_country.lookup("216.160.83.56") == GeoInfo("US", None, None, None, None)
        assert by_city.lookup("216.160.83.56") == GeoInfo("US", None, None, None, None)
    finally:
        by_country.close()
        by_city.close()


def test_results_are_cached(geo: GeoLookup) -> None:
    assert geo.lookup("81.2.69.142") is geo.lookup("81.2.69.142")


def test_enabled() -> None:
    assert not GeoLookup().enabled
    assert GeoLookup().lookup("81.2.69.142") == EMPTY_GEO
    lookup = GeoLookup(city_db=str(CITY))
    assert lookup.enabled
    lookup.close()


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mmdb"
    with pytest.raises(GeoDatabaseError, match="city_db") as raised:
        GeoLookup(city_db=missing)
    assert str(missing) in str(raised.value) and "missing" in str(raised.value)


def test_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match="not a regular file"):
        GeoLookup(asn_db=tmp_path)


def test_not_a_maxmind_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(GeoDatabaseError, match="not a MaxMind DB") as raised:
        GeoLookup(city_db=bogus)
    assert str(bogus) in str(raised.value)


def test_broken_database_is_named() -> None:
    with pytest.raises(GeoDatabaseError, match="corrupt") as raised:
        GeoLookup(city_db=BROKEN)
    assert str(BROKEN) in str(raised.value)


@pytest.mark.parametrize(
    ("role", "path"),
    [("asn_db", COUNTRY), ("city_db", COUNTRY), ("isp_db", ASN), ("country_db", ASN), ("asn_db", ISP)],
)
def test_wrong_database_type_for_role(role: str, path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match="wrong database type") as raised:
        GeoLookup(**{role: path})  # type: ignore[arg-type]
    assert role in str(raised.value) and str(path) in str(raised.value)


def test_runtime_failure_is_logged_once_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A database replaced in place under a running server (its bytes now corrupt) fails each
    lookup: the page gets no location, and the log one error, not one per request."""
    city = tmp_path / "city.mmdb"
    shutil.copy(CITY, city)
    geo = GeoLookup(city_db=city, asn_db=ASN)
    try:
        with city.open("r+b") as f:
            f.write(BROKEN.read_bytes())
        with caplog.at_level(logging.DEBUG, logger="consentkit.geo"):
            assert geo.lookup("81.2.69.160") == GeoInfo(None, None, None, None, None)
            assert geo.lookup("216.160.83.56") == GeoInfo(None, None, None, 209, None)
    finally:
        geo.close()
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and "city_db" in errors[0].getMessage()
    assert len(caplog.records) == 2


def test_closed_lookup_is_empty() -> None:
    lookup = GeoLookup(city_db=CITY)
    lookup.close()
    assert not lookup.enabled
    assert lookup.lookup("81.2.69.142") == EMPTY_GEO


@pytest.fixture(scope="module")
def shared() -> Iterator[GeoLookup]:
    lookup = GeoLookup(city_db=CITY, asn_db=ASN, isp_db=ISP, cache_size=16)
    yield lookup
    lookup.close()


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses().map(str) | st.text(max_size=80))
def test_lookup_never_raises(shared: GeoLookup, ip: str) -> None:
    found = shared.lookup(ip)
    assert isinstance(found, GeoInfo)
    if found.country is not None:
        assert len(found.country) == 2 and found.country.isupper()
    if found != EMPTY_GEO:
        addr = ipaddress.ip_address(ip.strip())
        mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
        assert (mapped or addr).is_global
    assert shared.lookup(ip) == found


def _city_networks() -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    with maxminddb.open_database(CITY) as reader:
        return [
            (network, record["country"]["iso_code"])
            for network, record in reader
            if isinstance(record, dict) and "country" in record and network.is_global
        ]


def _address_in(
    entry: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str],
) -> st.SearchStrategy[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str]]:
    network, country = entry
    return st.integers(0, network.num_addresses - 1).map(lambda i: (network[i], country))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_city_networks()).flatmap(_address_in))
def test_every_address_of_a_listed_network_gets_its_country(
    shared: GeoLookup, entry: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str]
) -> None:
    addr, country = entry
    assert shared.lookup(str(addr)).country == country
