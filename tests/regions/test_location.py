"""Regimes in configuration, and where a visitor is: edge headers (strictly parsed) and GeoIP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from consentkit import ConsentConfig
from consentkit.http import LOCATION_HEADERS, READ_HEADERS
from consentkit.location import parse_edge
from consentkit.regions import EDGE_HEADER_NAMES, RegimeTable, RegionsConfig
from consentkit.regions_default import EEA_UK_CH, US_OPT_OUT_STATES

KEY = "k" * 40


def test_the_shipped_mapping() -> None:
    table = RegimeTable(RegionsConfig())
    assert table.regime("DE", "BY").name == "gdpr"
    assert table.regime("GB", "ENG").name == table.regime("CH", None).name == "gdpr"
    assert table.regime("US", "CA").name == table.regime("US", "CO").name == "us_opt_out"
    assert table.regime("US", "WA").name == "fallback" and table.regime("US", None).name == "fallback"
    assert table.regime("BR", None).name == table.regime(None, None).name == "fallback"
    assert table.regime("US", "WA").mode == "opt_in"
    assert len(set(EEA_UK_CH)) == len(EEA_UK_CH) and len(set(US_OPT_OUT_STATES)) == len(US_OPT_OUT_STATES)


def test_the_first_regime_listing_a_place_wins() -> None:
    regions = RegionsConfig.model_validate({"regimes": [
        {"name": "us", "places": ["US"], "mode": "notice"},
        {"name": "ca", "places": ["US-CA", "CA"], "mode": "opt_out"},
    ]})
    table = RegimeTable(regions)
    assert table.regime("US", "CA").name == "us"  # listed first as a whole country
    assert table.regime("CA", "QC").name == "ca"
    flipped = RegimeTable(RegionsConfig.model_validate({"regimes": [
        {"name": "ca", "places": ["US-CA"], "mode": "opt_out"}, {"name": "us", "places": ["US"], "mode": "notice"},
    ]}))
    assert flipped.regime("US", "CA").name == "ca" and flipped.regime("US", "TX").name == "us"


@pytest.mark.parametrize(("regions", "problem"), [
    ({"regimes": [{"name": "x", "places": ["de"]}]}, "not an ISO 3166-1 country"),
    ({"regimes": [{"name": "x", "places": ["US-CALI"]}]}, "not an ISO 3166-1 country"),
    ({"regimes": [{"name": "x", "places": ["DE"], "mode": "opt_maybe"}]}, "mode"),
    ({"regimes": [{"name": "x", "default_granted": ["nope"], "mode": "opt_out"}]},
     "regions.x.default_granted: unknown category 'nope'"),
    ({"regimes": [{"name": "fallback"}]}, "duplicate regime name 'fallback'"),
    ({"edge": "akamai"}, "edge"),
    ({"edge": "cloudflare"}, "regions.edge: cloudflare's headers are believed only from trusted_proxies"),
])
def test_bad_regions_fail_at_start_up_naming_the_key(regions: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", regions=regions)


def test_every_edge_header_is_decoded() -> None:
    assert set(LOCATION_HEADERS) == EDGE_HEADER_NAMES
    assert EDGE_HEADER_NAMES <= READ_HEADERS


@pytest.mark.parametrize(("country", "region", "expected"), [
    ("DE", None, ("DE", None)),
    ("us", "ca", ("US", "CA")),  # App Engine sends lower case
    ("US", "US-CA", ("US", "CA")),
    (" US ", " TX ", ("US", "TX")),
    ("XX", "CA", (None, None)),  # Cloudflare's unknown
    ("T1", None, (None, None)),  # Cloudflare's Tor
    ("USA", "CA", (None, None)),
    ("U1", "CA", (None, None)),
    ("US", "CALI", ("US", None)),
    ("US", "C;A", ("US", None)),
    ("ÜS", None, (None, None)),
    ("ß", None, (None, None)),  # upper-cases to "SS"
    ("\ufb00", None, (None, None)),  # the ff ligature, "FF" in upper case
    ("US", "ß", ("US", None)),
    ("GB", "ENG", ("GB", "ENG")),
    ("US", "DE-BY", ("US", None)),
])
def test_edge_values(country: str, region: str | None, expected: tuple[str | None, str | None]) -> None:
    assert parse_edge(country, region) == expected


@given(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=40)))
def test_edge_parser_returns_only_iso_codes(country: str | None, region: str | None) -> None:
    got_country, got_region = parse_edge(country, region)
    assert got_country is None or re.fullmatch(r"[A-Z]{2}", got_country)
    assert got_region is None or (got_country is not None and re.fullmatch(r"[A-Z0-9]{1,3}", got_region))
    if got_country is not None:  # the header's own ASCII letters, nothing made of other characters
        assert country is not None and country.isascii() and got_country == country.strip().upper()
    if got_region is not None:
        assert region is not None and region.isascii() and got_region in region.upper()


@given(st.sampled_from(["US", "DE", "GB", "CH"]), st.from_regex(r"[A-Z0-9]{1,3}", fullmatch=True))
def test_edge_parser_keeps_every_valid_code(country: str, region: str) -> None:
    assert parse_edge(country, region) == (country, region)
    assert parse_edge(country.lower(), f"{country}-{region}") == (country, region)


def test_regions_unset_is_none_and_the_defaults_name_a_sale_category(tmp_path: Path) -> None:
    cfg = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:")
    assert cfg.regions is None
    assert [c.key for c in cfg.categories if c.sale_or_sharing] == ["marketing"]
    on = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", regions={})
    assert on.regions is not None and on.regions.fallback.mode == "opt_in"


def test_check_warns_when_nothing_tells_where_a_visitor_is() -> None:
    from consentkit.config_warnings import config_warnings

    blind = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", site_id="x", regions={})
    assert [w for w in config_warnings(blind) if w.startswith("regions:")] == [
        "regions: neither regions.edge nor a GeoIP database (collection.geoip_city_db) tells where a visitor "
        "is, so every visitor gets the fallback regime 'fallback'"]
    seeing = ConsentConfig(secret_keys=[KEY], storage_url="sqlite://:memory:", site_id="x", regions={},
                           collection={"geoip_city_db": str(Path(__file__).parents[1] / "data" / "maxmind"
                                                             / "GeoIP2-City-Test.mmdb")})
    assert config_warnings(seeing) == []


def test_the_examples_of_docs_regions_md_are_valid_configurations() -> None:
    import tomllib

    text = (Path(__file__).resolve().parents[2] / "docs" / "regions.md").read_text("utf-8")
    blocks = [tomllib.loads(b) for b in re.findall(r"```toml\n(.*?)```", text, re.S)]
    examples = [b for b in blocks if "regions" in b]
    assert len(examples) == 3
    for data in examples:
        data.pop("collection", None)  # names a database file of the reader's
        cfg = ConsentConfig(**{**data, "secret_keys": [KEY], "storage_url": "sqlite://:memory:"})
        assert cfg.regions is not None
