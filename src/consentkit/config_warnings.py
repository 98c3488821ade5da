"""Configurations that work but are weak: `consentkit check` reports them, start-up does not refuse them."""

from __future__ import annotations

from consentkit.config import ConsentConfig


def config_warnings(cfg: ConsentConfig) -> list[str]:
    """One line per weakness, starting with the key to change."""
    out: list[str] = []
    if cfg.site_id is None:
        shared = (
            f" (and cookies.domain = {cfg.cookies.domain!r} sends them to every host under it)"
            if cfg.cookies.domain else ""
        )
        out.append(
            "site_id: not set, so choice cookies are not bound to this site: another site with the same "
            f"secret_keys and policy_version (staging beside production, say) honours them{shared}, and this "
            "site honours its. Set site_id to a name of this site's own, such as its host name (visitors then "
            "choose again once), or give every site its own secret_keys"
        )
    for network in cfg.trusted_proxies:
        if network.prefixlen == 0:
            out.append(
                f"trusted_proxies: {network} trusts every peer, so every visitor can write the address "
                "that is stored; list only your proxies' networks"
            )
    regions = cfg.regions
    col = cfg.collection
    if regions is not None and regions.edge is None and col.geoip_city_db is None and col.geoip_country_db is None:
        out.append(
            f"regions: neither regions.edge nor a GeoIP database (collection.geoip_city_db) tells where a "
            f"visitor is, so every visitor gets the fallback regime {regions.fallback.name!r}"
        )
    return out
