"""Configuration of what is collected and how it is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from consentkit.strict import Strict

FIELDS = (
    "ip", "geo", "isp", "browser", "os", "device", "language", "referrer", "utm", "visitor_id", "session_id",
)


GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "ip": ("ip",),
    "geo": ("country", "region", "city"),
    "isp": ("asn", "isp"),
    "browser": ("browser", "browser_version"),
    "os": ("os", "os_version"),
    "device": ("device", "device_brand", "device_model", "is_bot"),
    "language": ("language",),
    "referrer": ("referrer_host", "referrer_path", "referrer_class"),
    "utm": ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id"),
    "visitor_id": ("visitor_id",),
    "session_id": ("session_id",),
}
"""The stored event columns each field group fills."""

FieldGroup = Literal[
    "ip", "geo", "isp", "browser", "os", "device", "language", "referrer", "utm", "visitor_id", "session_id"
]


def _default_fields() -> dict[FieldGroup, str]:
    return dict.fromkeys(FIELDS, "analytics")  # type: ignore[arg-type]


class CollectionConfig(Strict):
    enabled: bool = True
    """Record page views at all (the consent machinery works either way)."""
    fields: dict[FieldGroup, str] = Field(default_factory=_default_fields)
    """Field group → the category that owns it. A group missing here is never collected."""
    aggregate: bool = True
    """Count every page view per day and path (and every pixel request), anonymously: the total,
    consented or not, beside which the per-visitor events can be read."""
    ip_mode: Literal["full", "truncated", "hash", "none"] = "truncated"
    """How the IP is stored: as is, network part only, keyed hash with a daily random salt, or not."""
    ipv4_prefix: int = Field(default=24, ge=0, le=32)
    """Bits of an IPv4 address kept in "truncated" mode."""
    ipv6_prefix: int = Field(default=48, ge=0, le=128)
    """Bits of an IPv6 address kept in "truncated" mode."""
    geoip_city_db: Path | None = None
    """GeoIP2/GeoLite2 City database: country, region, city. No database, no geo fields."""
    geoip_country_db: Path | None = None
    """GeoIP2/GeoLite2 Country database (country only)."""
    geoip_asn_db: Path | None = None
    """GeoLite2 ASN database: asn and its organisation."""
    geoip_isp_db: Path | None = None
    """GeoIP2 ISP database: asn and isp."""
    keep_query: tuple[str, ...] = ()
    """Query-string keys kept in the stored path (all others dropped)."""
    static_globs: tuple[str, ...] = (
        "/static/*", "/assets/*", "/favicon.ico", "/robots.txt", "*.css", "*.js", "*.map", "*.png", "*.jpg",
        "*.jpeg", "*.gif", "*.svg", "*.webp", "*.ico", "*.woff", "*.woff2", "*.ttf",
    )
    exclude_paths: tuple[str, ...] = ()
    """Path globs that are never page views."""
    html_only: bool = True
    """Only HTML responses count as page views."""
    bots: Literal["flag", "drop"] = "flag"
    """Known bots: store with is_bot set, or do not store."""
    queue_size: int = Field(default=10_000, ge=10, le=10_000_000)
    """Events waiting for the background writer; beyond it the newest are dropped and counted."""
    batch_size: int | None = Field(default=None, ge=1, le=100_000)
    """Events per insert transaction; by default 500 into SQLite and 2000 into PostgreSQL, where each
    transaction costs round trips to the server."""
    flush_interval_ms: int = Field(default=1000, ge=10, le=600_000)
    """The writer stores what is queued at least this often."""
    full_queue: Literal["drop", "block"] = "drop"
    """On a full queue: drop the newest event, or wait up to `block_ms` first."""
    block_ms: int = Field(default=5, ge=0, le=1000)
    """Longest wait for room in the queue when `full_queue = "block"`."""
    ua_cache_size: int = Field(default=4096, ge=0, le=1_000_000)
    """Parsed user agents kept in memory."""
    geo_cache_size: int = Field(default=8192, ge=0, le=1_000_000)
    """Geo lookups (and other per-visitor enrichment) kept in memory."""
    beacon_per_minute: int = Field(default=60, ge=1, le=10_000)
    """Rate limit for beacon and pixel hits per visitor id the site issued; without one, per client
    network (/24 of IPv4, /64 of IPv6)."""
