"""Building one stored event from a request — only the field groups whose category is in effect.

Each group is computed only when allowed: a user agent is not parsed, an IP not looked up, when
their category is not in effect for this request. What repeats across requests (the network part
of an address, a referrer) is cached, bounded.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from consentkit.boundedcache import BoundedCache
from consentkit.collect.ip import mask_ip
from consentkit.collect.language import primary_language
from consentkit.collect.referrer import Campaign, parse_campaign, parse_referrer
from consentkit.collect.useragent import parse_user_agent

if TYPE_CHECKING:
    from consentkit.collect.geo import GeoLookup
    from consentkit.collect.ip import ClientAddress
    from consentkit.collect.settings import CollectionConfig
    from consentkit.exchange import Exchange

MAX_PATH = 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half a UTF-16 pair: a query string read as text may hold one, and no text encoding takes it."""


def stored_path(path: str, query: list[tuple[str, str]], keep: frozenset[str]) -> tuple[str, bool]:
    """The path with every query key dropped except the configured ones; capped at 1 KB."""
    if not keep:  # the usual case, on every page view
        return (path, False) if len(path) <= MAX_PATH else (path[:MAX_PATH], True)
    kept = [(k, _SURROGATE.sub("\ufffd", v)) for k, v in query if k in keep]
    full = path + ("?" + urlencode(kept) if kept else "")
    return (full[:MAX_PATH], True) if len(full) > MAX_PATH else (full, False)


class Enricher:
    """Bounded caches over the per-group parsers, keyed by exactly the inputs each depends on."""

    def __init__(
        self, col: CollectionConfig, address: ClientAddress, geo: GeoLookup | None,
        salt: Callable[[], bytes | None], size: int = 8192,
    ) -> None:
        self.address = address
        self._proxy_header = address.header or ""
        """The forwarding header the address is read from ("" for none): part of the cache key."""
        self.ip_mode = col.ip_mode
        self.v4_prefix, self.v6_prefix = col.ipv4_prefix, col.ipv6_prefix
        self.geo = geo
        self.salt = salt
        """Today's salt for keyed IP hashes (None unless `ip_mode` is hash)."""
        self._net: BoundedCache[tuple[Any, ...], dict[str, Any]] = BoundedCache(size)
        self._ref: BoundedCache[tuple[str, str, Campaign | None], dict[str, Any]] = BoundedCache(size)

    def constant(self, ex: Exchange, allowed: frozenset[str]) -> dict[str, Any]:
        """The fields that stay the same across a visitor's requests: what comes from the user agent,
        language and address (shared by visitors alike), and the basis; kept, merged, with the Cookie
        header's decision. Read-only."""
        req = ex.request
        h = req.headers
        host = h.get("host", "")
        salt = self.salt() if "ip" in allowed else None
        key = (
            allowed, h.get("user-agent"), h.get("accept-language"), req.client, h.get(self._proxy_header), salt,
        )
        profile = self._net.get(key)
        if profile is None:
            profile = self._visitor(ex, allowed, salt)
            self._net.put(key, profile)
        decision = ex.decision
        kept = decision.basis if decision is not None else None
        if kept is not None and kept[1] is profile and kept[0] == host:
            return kept[2]
        state = ex.state
        merged = {
            **profile,
            "host": host[:255].lower() or None,
            "consent_id": state.consent_id,
            "policy_version": state.policy_version,
            "basis": ",".join(sorted(ex.effective.categories)),
        }
        if decision is not None:  # the Cookie header's decision, so the same consent and basis
            decision.basis = (host, profile, merged)
        return merged

    def _visitor(self, ex: Exchange, allowed: frozenset[str], salt: bytes | None) -> dict[str, Any]:
        headers = ex.request.headers
        out: dict[str, Any] = {}
        if "browser" in allowed or "os" in allowed or "device" in allowed:
            ua = parse_user_agent(headers.get("user-agent", ""))
            out["truncated"] = ua.truncated
            if "browser" in allowed:
                out.update(browser=ua.browser, browser_version=ua.browser_version)
            if "os" in allowed:
                out.update(os=ua.os, os_version=ua.os_version)
            if "device" in allowed:
                out.update(
                    device=ua.device, device_brand=ua.device_brand, device_model=ua.device_model, is_bot=ua.is_bot
                )
        if "language" in allowed:
            out["language"] = primary_language(headers.get("accept-language", ""))
        if "ip" in allowed or "geo" in allowed or "isp" in allowed:
            out.update(self._network(ex, allowed, salt))
        return out

    def _network(self, ex: Exchange, allowed: frozenset[str], salt: bytes | None) -> dict[str, Any]:
        want_ip, want_geo, want_isp = "ip" in allowed, "geo" in allowed, "isp" in allowed
        out: dict[str, Any] = {}
        ip = self.address.of(ex.request)
        if ip is not None:
            if want_ip:
                out["ip"] = mask_ip(ip, self.ip_mode, self.v4_prefix, self.v6_prefix, salt)
            if self.geo is not None and (want_geo or want_isp):
                geo = self.geo.lookup(ip, want_location=want_geo, want_network=want_isp)
                if want_geo:
                    out.update(country=geo.country, region=geo.region, city=geo.city)
                if want_isp:
                    out.update(asn=geo.asn, isp=geo.isp)
        return out

    def referrer(self, raw: str, host: str, campaign: Campaign | None) -> dict[str, Any]:
        """The referrer columns (and the truncation flag when set)."""
        key = (raw[:2048], host, campaign)
        hit = self._ref.get(key)
        if hit is None:
            ref = parse_referrer(raw, host, campaign if campaign is not None else False)
            hit = {"referrer_host": ref.host, "referrer_path": ref.path, "referrer_class": ref.klass}
            if ref.truncated:
                hit["truncated"] = True
            self._ref.put(key, hit)
        return hit


_DIRECT = {"referrer_class": "direct"}


def event_parts(
    enrich: Enricher, ex: Exchange, allowed: frozenset[str], kind: str, base: dict[str, Any],
    referrer: str | None = None,
) -> tuple[Any, ...]:
    """What `assemble` makes the event of: read from the request now, but put together later.

    `allowed`: the field groups in effect. `base`: path, status etc. already decided by the caller.
    Every part holds only fields of those groups: what is not allowed is not computed here either.
    """
    req = ex.request
    campaign = utm = None
    if req.query_string and ("utm" in allowed or "referrer" in allowed):
        campaign = parse_campaign(req.query())
        if not campaign.any:
            campaign = None
        elif "utm" in allowed:
            utm = campaign
    ref = None
    if "referrer" in allowed:
        raw = referrer if referrer is not None else req.headers.get("referer", "")
        ref = enrich.referrer(raw, req.host, campaign) if raw or campaign is not None else _DIRECT
    return (enrich.constant(ex, allowed), base, time.time(), kind, req.method, utm, ref, allowed, ex.visitor_id,
            ex.session_id)


def assemble(
    constant: dict[str, Any], base: dict[str, Any], ts: float, kind: str, method: str, utm: Campaign | None,
    ref: dict[str, Any] | None, allowed: frozenset[str], visitor_id: str | None, session_id: str | None,
) -> dict[str, Any]:
    """The stored event from its `event_parts`."""
    ev = constant.copy()
    truncated = ev.get("truncated", False) or base.get("truncated", False)
    ev.update(base)
    ev["ts"] = ts
    ev["kind"] = kind
    ev["method"] = method[:16]
    if utm is not None:
        ev.update(
            utm_source=utm.utm_source, utm_medium=utm.utm_medium, utm_campaign=utm.utm_campaign,
            utm_term=utm.utm_term, utm_content=utm.utm_content, click_id=utm.click_id,
        )
    if ref is not None:
        ev.update(ref)
        truncated = truncated or "truncated" in ref
    if "visitor_id" in allowed:
        ev["visitor_id"] = visitor_id
    if "session_id" in allowed:
        ev["session_id"] = session_id
    ev["truncated"] = truncated
    return ev


def build_event(
    enrich: Enricher, ex: Exchange, allowed: frozenset[str], kind: str, base: dict[str, Any],
    referrer: str | None = None,
) -> dict[str, Any]:
    """The event at once (beacons, pixels); page views leave `assemble` to the writer thread."""
    return assemble(*event_parts(enrich, ex, allowed, kind, base, referrer))


def clicks_json(clicks: list[str]) -> str | None:
    return json.dumps(clicks, separators=(",", ":")) if clicks else None
