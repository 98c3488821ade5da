"""Collection: decides what counts, builds consent-gated events and hands them to the writer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from consentkit.bodies import BadBody, parse_body
from consentkit.collect.event import Enricher, assemble, build_event, clicks_json, event_parts, stored_path
from consentkit.collect.geo import GeoDatabaseError, GeoLookup
from consentkit.collect.ip import ClientAddress
from consentkit.collect.paths import GlobSet, is_prefetch
from consentkit.collect.ratelimit import RateLimiter, rate_key
from consentkit.collect.salt import DailySalt
from consentkit.collect.useragent import parse_user_agent, set_cache_size
from consentkit.consent_counters import tally_regime_page, tally_signals
from consentkit.errors import ConfigError
from consentkit.http import VARY, Reply, is_html
from consentkit.signals import NO_SIGNALS
from consentkit.urls import split_url, url_path

if TYPE_CHECKING:
    from consentkit.config import ConsentConfig
    from consentkit.exchange import Exchange
    from consentkit.storage import Store
    from consentkit.storage.writer import Writer

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
_PAGE_METHODS = frozenset({"GET", "POST"})
_NO_STORE = [("cache-control", "no-store, max-age=0"), ("vary", VARY)]


class Collector:
    def __init__(self, cfg: ConsentConfig, store: Store, writer: Writer, address: ClientAddress) -> None:
        col = cfg.collection
        self.writer = writer
        self.address = address
        self.keep_query = frozenset(col.keep_query)
        self.not_pages = GlobSet([*col.static_globs, *col.exclude_paths])
        self.html_only = col.html_only
        self.drop_bots = col.bots == "drop"
        self.aggregate = col.aggregate
        self.rate = RateLimiter(col.beacon_per_minute)
        salt: Callable[[], bytes | None] = DailySalt(store).current if col.ip_mode == "hash" else _no_salt
        set_cache_size(col.ua_cache_size)
        parse_user_agent("")  # builds the parser's matchers now (~0.3 s), not on a visitor's request
        self.geo: GeoLookup | None = None
        dbs = {
            "city_db": col.geoip_city_db, "country_db": col.geoip_country_db,
            "asn_db": col.geoip_asn_db, "isp_db": col.geoip_isp_db,
        }
        if any(dbs.values()):
            try:
                self.geo = GeoLookup(**dbs, cache_size=col.geo_cache_size)
            except GeoDatabaseError as exc:
                raise ConfigError([f"collection.geoip_*: {exc}"]) from None
        self.enrich = Enricher(col, address, self.geo, salt, col.geo_cache_size)

    # -- page views -------------------------------------------------------------------------------
    def page(self, ex: Exchange, status: int, content_type: str) -> None:
        req = ex.request
        if req.method not in _PAGE_METHODS or (self.html_only and not is_html(content_type)):
            return
        if is_prefetch(req.headers):
            return
        path = req.path
        if self.not_pages.match(path):
            return
        if self.aggregate:
            self.writer.tally("pageviews", path[:256])
            signals = ex.state.signals
            if signals is not NO_SIGNALS:  # the usual page comes with neither DNT nor GPC
                tally_signals(self.writer, signals)
            if ex.located:  # the site has regional regimes
                tally_regime_page(self.writer, ex.state)
        allowed = ex.groups
        if not allowed:
            return
        if self.drop_bots:
            from consentkit.collect.bots import is_known_bot

            if is_known_bot(req.headers.get("user-agent", "")):
                return
        path, truncated = stored_path(path, req.query() if self.keep_query else [], self.keep_query)
        duration = int((time.perf_counter() - ex.started) * 1e6) / 1000  # ms to the µs
        base = {"path": path, "status": status, "duration_ms": duration, "truncated": truncated}
        # Assembled by the writer thread: the page's own thread only gathers the parts.
        self.writer.submit((assemble, *event_parts(self.enrich, ex, allowed, "pageview", base)))

    # -- browser-side measurement -----------------------------------------------------------------
    def _limited(self, ex: Exchange) -> bool:
        return not self.rate.allow(rate_key(ex, self.address))

    def beacon(self, ex: Exchange, body: bytes) -> Reply:
        """Engaged time, scroll depth and outbound clicks; always 204 so it reveals nothing."""
        reply = Reply(204, b"", list(_NO_STORE))
        allowed = ex.groups
        if not allowed or self._limited(ex):
            return reply
        try:
            data, _ = parse_body(ex.request.header("content-type"), body)
        except BadBody:
            return reply
        fields = _beacon_fields(data)
        if fields is None:
            return reply
        path, engaged, scroll, clicks = fields
        base = {
            "path": path, "engaged_ms": engaged, "scroll": scroll, "clicks": clicks_json(clicks), "status": None,
            "duration_ms": None, "truncated": False,
        }
        self.writer.submit(build_event(self.enrich, ex, allowed, "beacon", base, referrer=""))
        return reply

    def pixel(self, ex: Exchange) -> Reply:
        """A 1x1 GIF web beacon for pages without JavaScript and e-mail opens; never sets a cookie."""
        reply = Reply(200, GIF, [("content-type", "image/gif"), *_NO_STORE])
        allowed = ex.groups
        if self.aggregate:
            self.writer.tally("pixels", "-")
        if not allowed or self._limited(ex):
            return reply
        query = dict(ex.request.query())
        page = query.get("p") or url_path(ex.request.header("referer")) or "/"
        if not page.startswith("/"):
            page = "/" + page
        stored, truncated = stored_path(page, [], frozenset())
        base = {"path": stored, "status": None, "duration_ms": None, "truncated": truncated}
        ev = build_event(self.enrich, ex, allowed, "pixel", base, referrer=query.get("r"))
        if ex.new_visitor:  # the pixel sets no cookie, so an id it just made up would mean nothing
            ev["visitor_id"] = ev["session_id"] = None
        self.writer.submit(ev)
        return reply

    def close(self) -> None:
        if self.geo is not None:
            self.geo.close()


def _no_salt() -> None:
    return None


_LINK = re.compile(r"^https?://[^\s\x00-\x1f\x7f]{1,2000}\Z")


def _beacon_fields(data: dict[str, Any]) -> tuple[str, int, int | None, list[str]] | None:
    path = data.get("path")
    engaged = data.get("engaged_ms", 0)
    scroll = data.get("scroll")
    clicks = data.get("clicks", [])
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024:
        return None
    if isinstance(engaged, bool) or not isinstance(engaged, int) or not 0 <= engaged <= 86_400_000:
        return None
    if scroll is not None and (isinstance(scroll, bool) or not isinstance(scroll, int) or not 0 <= scroll <= 100):
        return None
    if not isinstance(clicks, list) or len(clicks) > 20 or not all(isinstance(c, str) for c in clicks):
        return None
    kept: list[str] = []
    for link in clicks:
        parts = split_url(link) if _LINK.match(link) else None
        if parts is not None:  # a link that cannot be split is dropped from the event
            kept.append(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"[:512])
    return path.split("?", 1)[0], engaged, scroll, kept


