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
and the visitor made one). `path`, `now`, `categories` and `regime` are always there: they describe
the page and the consent, not the visitor.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from consentkit.chat.visits import Visits
from consentkit.collect.language import primary_language
from consentkit.collect.useragent import parse_user_agent

if TYPE_CHECKING:
    from consentkit.collect.geo import GeoLookup
    from consentkit.collect.ip import ClientAddress
    from consentkit.config import ConsentConfig
    from consentkit.exchange import Exchange

FIELD_GROUPS: dict[str, str] = {
    "country": "geo", "language": "language", "device": "device", "is_bot": "device", "browser": "browser",
    "returning": "visitor_id", "page_views": "session_id", "seconds_on_site": "session_id",
    "pages": "session_id", "ip": "ip",
}
ALL_FIELDS = frozenset(FIELD_GROUPS)
_VISIT_FIELDS = frozenset({"page_views", "seconds_on_site", "pages"})
FROM_VISITS = _VISIT_FIELDS | {"returning"}
"""Fields that come from the visits this process tracked: pages are tracked only while one is used."""
_SOURCE: dict[str, str] = {
    "device": "ua", "is_bot": "ua", "browser": "ua", "language": "language", "country": "network",
    "ip": "network", "page_views": "visit", "seconds_on_site": "visit", "pages": "visit", "returning": "returning",
}
"""What each field is computed from; the fields of one source are computed together."""
_BY_SOURCE = {src: frozenset(f for f, s in _SOURCE.items() if s == src) for src in set(_SOURCE.values())}
_HEADER = {"ua": "user-agent", "language": "accept-language"}


class Inputs(NamedTuple):
    """What the allowed fields are computed from (`ContextBuilder.inputs`)."""

    allowed: frozenset[str]
    headers: tuple[str, ...]
    """The request headers they are made of."""
    network: bool
    """Whether the client address counts."""
    visits: tuple[str, ...]
    """The visit fields among them: they change from page to page, so only their values tell."""


class VisitorContext(NamedTuple):
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
    regime: str | None = None
    """The regional regime the consent was decided under (`regions`); None without regions."""


class Facts:
    """What the rules work on: the allowed fields, each computed when first read (so that a rule
    evaluation that stops early computes nothing more); the `VisitorContext` only if a hook asks."""

    __slots__ = (
        "_allowed", "_context", "_current", "_source", "_todo", "categories", "now", "path", "regime", "values",
    )

    def __init__(self, path: str, now: float, categories: frozenset[str], values: dict[str, Any],
                 allowed: frozenset[str] = frozenset(), source: tuple[ContextBuilder, Exchange, bool] | None = None,
                 todo: Iterable[str] | None = None, regime: str | None = None) -> None:
        """`values` are fields known already; `allowed` ones are computed from `source` (the builder,
        the request, whether it is the current page) when read, or just the `todo` ones if given."""
        self.path = path
        self.now = now
        self.categories = categories
        self.regime = regime
        self.values = values
        self._context: VisitorContext | None = None
        self._allowed = allowed
        self._todo = set(allowed if todo is None else todo)
        """Allowed fields not computed yet."""
        self._source = source
        self._current = source is not None and source[2]

    def get(self, name: str) -> Any:
        if name in self._todo:
            self._fill(name)
        return self.values.get(name)

    def add(self, allowed: frozenset[str]) -> None:
        """Let more allowed fields be read (from `ContextBuilder.allowed`): the pre-chat data."""
        new = allowed - self._allowed
        if new:
            self._allowed |= new
            self._todo |= new

    def context(self) -> VisitorContext:
        ctx = self._context
        if ctx is None:
            todo = self._todo
            if todo:
                for name in list(todo):
                    if name in todo:
                        self._fill(name)
            ctx = VisitorContext(self.path, self.now, self.categories, **self.values, regime=self.regime)
            self._context = ctx
        return ctx

    def _fill(self, name: str) -> None:
        if self._source is None:  # made without a request: nothing to compute from
            self._todo.clear()
            return
        builder, ex, _ = self._source
        builder.fill(self, ex, name)

    @classmethod
    def of(cls, ctx: VisitorContext) -> Facts:
        values = {f: getattr(ctx, f) for f in ALL_FIELDS if getattr(ctx, f) is not None}
        facts = cls(ctx.path, ctx.now, ctx.categories, values, regime=ctx.regime)
        facts._context = ctx
        return facts


class ContextBuilder:
    def __init__(self, cfg: ConsentConfig, visits: Visits, geo: GeoLookup | None, address: ClientAddress) -> None:
        self.visits = visits
        self.geo = geo
        self.address = address
        self.sid_cookie = cfg.cookies.session_name

    def allowed(self, groups: frozenset[str], needed: frozenset[str]) -> frozenset[str]:
        """The `needed` fields that the field groups in effect (`Exchange.groups`) allow."""
        return frozenset(f for f in needed if FIELD_GROUPS[f] in groups)

    def returning(self, ex: Exchange) -> bool | None:
        """Whether the visitor cookie predates this visit: known when this request starts the visit."""
        sent = ex.decision.sid if ex.decision is not None else ""  # the session id the cookie carried, verified
        if sent != ex.session_id:
            return not ex.new_visitor
        return None

    def facts(self, ex: Exchange, allowed: frozenset[str], *, current_page: bool, path: str,
              now: float | None = None) -> Facts:
        """Facts that compute the `allowed` fields (from `allowed()`) on first read, as of `now`."""
        return Facts(path, time.time() if now is None else now, ex.effective.categories, {}, allowed,
                     (self, ex, current_page), regime=ex.effective.regime)

    def inputs(self, groups: frozenset[str], needed: frozenset[str]) -> Inputs:
        """What the `needed` fields allowed by `groups` are computed from: a cache key for anything
        that depends only on them. Headers and the address as they come are cheaper to compare
        than what is made of them; visit fields have no such input."""
        allowed = self.allowed(groups, needed)
        sources = {_SOURCE[f] for f in allowed}
        headers = sorted(_HEADER[s] for s in sources if s in _HEADER)
        if "network" in sources and self.address.header:  # with the socket peer: what the address is read from
            headers.append(self.address.header)
        return Inputs(allowed, tuple(headers), "network" in sources, tuple(sorted(allowed & FROM_VISITS)))

    def fill(self, facts: Facts, ex: Exchange, name: str) -> None:
        """Compute the fields of `name`'s source that `facts` still needs (one parse serves them all)."""
        todo = facts._todo
        kw = facts.values
        headers = ex.request.headers
        source = _SOURCE[name]
        if source == "ua":
            ua = parse_user_agent(headers.get("user-agent", ""))
            for f, v in (("device", ua.device), ("is_bot", ua.is_bot), ("browser", ua.browser)):
                if f in todo and v is not None:
                    kw[f] = v
        elif source == "language":
            lang = primary_language(headers.get("accept-language", ""))
            if lang is not None:
                kw["language"] = lang
        elif source == "network":
            kw.update(self._network(ex, todo))
        elif source == "visit":
            if ex.session_id is not None:
                now = facts.now
                visit = self.visits.get(ex.session_id, now)
                add = 1 if facts._current else 0
                if "page_views" in todo:
                    kw["page_views"] = (visit.views if visit else 0) + add
                if "seconds_on_site" in todo:
                    kw["seconds_on_site"] = int(now - visit.first) if visit else 0
                if "pages" in todo:
                    seen = tuple(visit.pages) if visit else ()
                    kw["pages"] = (*seen, facts.path[:200])[-10:] if facts._current else seen
        elif ex.visitor_id is not None and ex.session_id is not None:  # returning
            visit = self.visits.get(ex.session_id, facts.now)
            returning = visit.returning if visit is not None else self.returning(ex)
            if returning is not None:
                kw["returning"] = returning
        todo -= _BY_SOURCE[source]

    def _network(self, ex: Exchange, want: set[str]) -> dict[str, Any]:
        ip = self.address.of(ex.request)
        out: dict[str, Any] = {}
        if ip is None:
            return out
        if "ip" in want:
            out["ip"] = ip
        geo = self.geo
        if "country" in want and geo is not None:
            country = geo.lookup(ip, want_location=True, want_network=False).country
            if country is not None:
                out["country"] = country
        return out
