"""The read-only visitor context the chat rules and hooks see: only fields whose category is in effect.

Each field belongs to a collection field group (`collection.fields` maps groups to categories):

| field                                   | field group  |
| --------------------------------------- | ------------ |
| country                                 | geo          |
| language                                | language     |
| device, is_bot                          | device       |
| browser                                 | browser      |
| returning                               | visitor_id   |
| page_views, seconds_on_site, pages      | session_id   |
| ip                                      | ip           |

A field whose group's category is not in effect is None, and is never computed. As for collection,
a DNT or GPC signal leaves every visitor field None (unless the site lets an explicit opt-in stand
and the visitor made one). `path`, `now` and `categories` are always there: they describe the page
and the consent, not the visitor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consentkit.chat.visits import Visits
from consentkit.collect.ip import client_ip
from consentkit.collect.language import primary_language
from consentkit.collect.useragent import parse_user_agent

if TYPE_CHECKING:
    from consentkit.consent import ConsentState
    from consentkit.engine import Engine, Exchange

FIELD_GROUPS: dict[str, str] = {
    "country": "geo", "language": "language", "device": "device", "is_bot": "device", "browser": "browser",
    "returning": "visitor_id", "page_views": "session_id", "seconds_on_site": "session_id",
    "pages": "session_id", "ip": "ip",
}
ALL_FIELDS = frozenset(FIELD_GROUPS)
_UA_FIELDS = frozenset({"device", "is_bot", "browser"})
_VISIT_FIELDS = frozenset({"page_views", "seconds_on_site", "pages"})
FROM_VISITS = _VISIT_FIELDS | {"returning"}
"""Fields that come from the visits this process tracked: pages are tracked only while one is used."""


@dataclass(frozen=True, slots=True)
class VisitorContext:
    """What a chat rule may know about this request. Visitor fields are None unless allowed."""

    path: str
    """The page's path (no query string)."""
    now: float
    """Unix time of the decision."""
    categories: frozenset[str]
    """The consent categories in effect."""
    country: str | None = None
    """ISO 3166-1 alpha-2, from the GeoIP database (field group geo)."""
    language: str | None = None
    """Primary subtag of the preferred language, e.g. "de" (field group language)."""
    device: str | None = None
    """"desktop", "mobile", "tablet", "bot" or "other" (field group device)."""
    is_bot: bool | None = None
    """A known crawler or bot (field group device)."""
    browser: str | None = None
    """Browser family, e.g. "Firefox" (field group browser)."""
    returning: bool | None = None
    """The visitor cookie existed before this visit; None if unknown (field group visitor_id)."""
    page_views: int | None = None
    """Page views in this visit seen by this process, this page included (field group session_id)."""
    seconds_on_site: int | None = None
    """Seconds since the first page of this visit seen by this process (field group session_id)."""
    pages: tuple[str, ...] | None = None
    """Paths of the last pages of this visit, oldest first (field group session_id)."""
    ip: str | None = None
    """The client address, after trusted proxies (field group ip)."""


class Facts:
    """What the rules work on: the allowed fields computed so far; the `VisitorContext` only if asked."""

    __slots__ = ("_context", "categories", "now", "path", "values")

    def __init__(self, path: str, now: float, categories: frozenset[str], values: dict[str, Any]) -> None:
        self.path = path
        self.now = now
        self.categories = categories
        self.values = values
        self._context: VisitorContext | None = None

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def context(self) -> VisitorContext:
        if self._context is None:
            self._context = VisitorContext(self.path, self.now, self.categories, **self.values)
        return self._context

    @classmethod
    def of(cls, ctx: VisitorContext) -> Facts:
        values = {f: getattr(ctx, f) for f in ALL_FIELDS if getattr(ctx, f) is not None}
        facts = cls(ctx.path, ctx.now, ctx.categories, values)
        facts._context = ctx
        return facts


class ContextBuilder:
    def __init__(self, engine: Engine, visits: Visits) -> None:
        cfg = engine.config
        self.engine = engine
        self.visits = visits
        self.sid_cookie = cfg.cookies.session_name
        self.trusted = cfg.trusted_proxies

    def groups(self, state: ConsentState) -> frozenset[str]:
        """Field groups whose category is in effect; none under DNT/GPC (as for collection)."""
        return self.engine.groups(state)

    def returning(self, ex: Exchange) -> bool | None:
        """Whether the visitor cookie predates this visit: known when this request starts the visit."""
        if ex.request.cookies.get(self.sid_cookie) != ex.session_id:
            return not ex.new_visitor
        return None

    def build(self, ex: Exchange, needed: frozenset[str], *, current_page: bool, path: str) -> Facts:
        """The `needed` fields that are allowed; nothing else is computed."""
        state = ex.state
        now = time.time()
        eff = state._effective.categories
        kw: dict[str, Any] = {}
        if not needed:
            return Facts(path, now, eff, kw)
        groups = self.groups(state)
        if not groups:
            return Facts(path, now, eff, kw)
        want = {f for f in needed if FIELD_GROUPS[f] in groups}
        headers = ex.request.headers
        if want & _UA_FIELDS:
            ua = parse_user_agent(headers.get("user-agent", ""))
            if "device" in want:
                kw["device"] = ua.device
            if "is_bot" in want:
                kw["is_bot"] = ua.is_bot
            if "browser" in want:
                kw["browser"] = ua.browser
        if "language" in want:
            kw["language"] = primary_language(headers.get("accept-language", ""))
        if "country" in want or "ip" in want:
            kw.update(self._network(ex, want))
        if want & _VISIT_FIELDS and ex.session_id is not None:
            visit = self.visits.get(ex.session_id, now)
            add = 1 if current_page else 0
            if "page_views" in want:
                kw["page_views"] = (visit.views if visit else 0) + add
            if "seconds_on_site" in want:
                kw["seconds_on_site"] = int(now - visit.first) if visit else 0
            if "pages" in want:
                seen = tuple(visit.pages) if visit else ()
                kw["pages"] = (*seen, path[:200])[-10:] if current_page else seen
        if "returning" in want and ex.visitor_id is not None and ex.session_id is not None:
            visit = self.visits.get(ex.session_id, now)
            kw["returning"] = visit.returning if visit is not None else self.returning(ex)
        return Facts(path, now, eff, {k: v for k, v in kw.items() if v is not None})

    def _network(self, ex: Exchange, want: set[str]) -> dict[str, Any]:
        ip = client_ip(ex.request.client, ex.request.headers, self.trusted)
        out: dict[str, Any] = {}
        if ip is None:
            return out
        if "ip" in want:
            out["ip"] = ip
        collector = self.engine.collector
        geo = collector.geo if collector is not None else None
        if "country" in want and geo is not None:
            out["country"] = geo.lookup(ip, want_location=True, want_network=False).country
        return out
