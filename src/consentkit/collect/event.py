"""Building one stored event from a request — only the field groups whose category is in effect.

Each group is computed only when allowed: a user agent is not parsed, an IP not looked up, when
their category is not in effect for this request.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from consentkit.collect.ip import client_ip, mask_ip
from consentkit.collect.language import primary_language
from consentkit.collect.referrer import parse_campaign, parse_referrer
from consentkit.collect.useragent import parse_user_agent

if TYPE_CHECKING:
    from consentkit.collect.pipeline import Collector
    from consentkit.engine import Exchange

MAX_PATH = 1024


def stored_path(path: str, query: list[tuple[str, str]], keep: frozenset[str]) -> tuple[str, bool]:
    """The path with every query key dropped except the configured ones; capped at 1 KB."""
    kept = [(k, v) for k, v in query if k in keep] if keep else []
    full = path + ("?" + urlencode(kept) if kept else "")
    return (full[:MAX_PATH], True) if len(full) > MAX_PATH else (full, False)


def build_event(
    col: Collector, ex: Exchange, allowed: frozenset[str], kind: str, referrer: str | None = None, **base: Any
) -> dict[str, Any]:
    """`allowed`: the field groups in effect. `base`: path, status etc. already decided by the caller."""
    req = ex.request
    state = ex.state
    eff = state._effective.categories
    ev: dict[str, Any] = {
        "ts": time.time(),
        "kind": kind,
        "method": req.method[:16],
        "host": req.host[:255].lower() or None,
        "consent_id": state.consent_id,
        "policy_version": state.policy_version,
        "basis": ",".join(sorted(eff)),
        **base,
    }
    truncated = bool(base.get("truncated"))
    headers = req.headers
    if "referrer" in allowed or "utm" in allowed:
        campaign = parse_campaign(req.query()) if "utm" in allowed else None
        if "utm" in allowed and campaign is not None:
            ev.update(
                utm_source=campaign.utm_source, utm_medium=campaign.utm_medium, utm_campaign=campaign.utm_campaign,
                utm_term=campaign.utm_term, utm_content=campaign.utm_content, click_id=campaign.click_id,
            )
        if "referrer" in allowed:
            raw = referrer if referrer is not None else headers.get("referer", "")
            ref = parse_referrer(raw, req.host, bool(campaign and campaign.any))
            ev.update(referrer_host=ref.host, referrer_path=ref.path, referrer_class=ref.klass)
            truncated |= ref.truncated
    if "browser" in allowed or "os" in allowed or "device" in allowed:
        ua = parse_user_agent(headers.get("user-agent", ""))
        truncated |= ua.truncated
        if "browser" in allowed:
            ev.update(browser=ua.browser, browser_version=ua.browser_version)
        if "os" in allowed:
            ev.update(os=ua.os, os_version=ua.os_version)
        if "device" in allowed:
            ev.update(
                device=ua.device, device_brand=ua.device_brand, device_model=ua.device_model, is_bot=ua.is_bot
            )
    if "language" in allowed:
        ev["language"] = primary_language(headers.get("accept-language", ""))
    if "ip" in allowed or "geo" in allowed or "isp" in allowed:
        ip = client_ip(req.client, headers, col.trusted)
        if ip is not None:
            if "ip" in allowed:
                ev["ip"] = mask_ip(ip, col.ip_mode, col.v4_prefix, col.v6_prefix, col.salt())
            if col.geo is not None and ("geo" in allowed or "isp" in allowed):
                geo = col.geo.lookup(ip, want_location="geo" in allowed, want_network="isp" in allowed)
                if "geo" in allowed:
                    ev.update(country=geo.country, region=geo.region, city=geo.city)
                if "isp" in allowed:
                    ev.update(asn=geo.asn, isp=geo.isp)
    if "visitor_id" in allowed:
        ev["visitor_id"] = ex.visitor_id
    if "session_id" in allowed:
        ev["session_id"] = ex.session_id
    ev["truncated"] = truncated
    return ev


def clicks_json(clicks: list[str]) -> str | None:
    return json.dumps(clicks, separators=(",", ":")) if clicks else None
