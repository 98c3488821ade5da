"""The framework-free core: one Engine per site, shared by every adapter.

Adapters turn their request into a `RequestView`, call `begin`, let `endpoints.handle` answer
consentkit's own URLs, pass the app's response headers through `response_headers`, and call
`finish` once the response is sent. Per-request state lives in the `Exchange`, never on the engine.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from consentkit import guard
from consentkit.banner.texts import shown_fingerprint
from consentkit.boundedcache import BoundedCache
from consentkit.chat.service import Chat
from consentkit.collect.groups import GroupsInEffect
from consentkit.collect.ip import ClientAddress
from consentkit.config import ConsentConfig
from consentkit.configfile import load_config
from consentkit.consent import ChoiceCodec, ConsentState, new_id
from consentkit.consent_counters import ConsentCounters
from consentkit.cookies import cookie_flags, cookie_owners, domains_of, is_cookie_name
from consentkit.exchange import CookieDecision, Exchange
from consentkit.http import VARY, CookiePlan, CookieSpec, RequestView, site_environ_keys
from consentkit.ids import IdKind, IdSigner
from consentkit.owners import ALWAYS
from consentkit.policy import Effective, Rules, decide
from consentkit.signals import Signals, read_signals
from consentkit.storage import Store, open_store
from consentkit.storage.writer import Writer

if TYPE_CHECKING:
    from consentkit.collect.pipeline import Collector
    from consentkit.regional import Regional

log = logging.getLogger("consentkit")
_NONE: frozenset[str] = frozenset()


class Engine:
    def __init__(self, config: ConsentConfig | str | None = None, *, store: Store | None = None) -> None:
        self.config = cfg = load_config(config)
        self.prefix = cfg.prefix
        self.codec = ChoiceCodec(
            cfg.signing_keys, cfg.policy_version, cfg.cookies.choice_days * 86400, frozenset(cfg.category_keys),
            site_id=cfg.site_id,
        )
        self.rules = cfg.rules
        self.owners = cookie_owners(cfg)
        self.flags = cookie_flags(cfg)
        self.client_address = ClientAddress(cfg.trusted_proxies, cfg.proxy_header)
        """The visitor's address as this site's proxies report it (`ClientAddress.of`)."""
        self.ids = IdSigner(cfg.signing_keys, cfg.site_id or "")
        """Signs the visitor and session id cookies; an id that does not verify is not believed."""
        self.store = store if store is not None else open_store(cfg.storage_url)
        col = cfg.collection
        self.writer = Writer(
            self.store, queue_size=col.queue_size, batch_size=col.batch_size or self.store.default_batch_size,
            interval_s=col.flush_interval_ms / 1000, full_queue=col.full_queue, block_ms=col.block_ms,
        )
        self.counters = ConsentCounters(self.writer, self.codec, cfg.optional, cfg.policy_version)
        self._choice_cookie = cfg.cookies.choice_name
        self._vid_cookie = cfg.cookies.visitor_name
        self._sid_cookie = cfg.cookies.session_name
        self._session_age = cfg.cookies.session_idle_minutes * 60
        self._visitor_age = cfg.cookies.visitor_days * 86400
        self._policy_version = cfg.policy_version
        self._decisions: BoundedCache[tuple[str, Signals], CookieDecision] = BoundedCache(4096)
        self.shown_hash = functools.lru_cache(maxsize=64)(functools.partial(shown_fingerprint, cfg))
        """The ledger's `shown_hash` of a choice made in a language (the banner's tag) under a regime
        (`banner.texts.shown_fingerprint`): worked out once per pair, not on every choice."""
        self.groups = GroupsInEffect(cfg.collection.fields)
        """Makes `Exchange.groups`, once per cached Cookie-header decision (`CookieDecision.groups`)."""
        self.collector: Collector | None = None
        if col.enabled:
            from consentkit.collect.pipeline import Collector

            self.collector = Collector(cfg, self.store, self.writer, self.client_address)
        geo = self.collector.geo if self.collector is not None else None
        self.chat = Chat(cfg, self.writer, geo, self.client_address)
        self.regional: Regional | None = None
        """The site's regional regimes (`regions`); None: everyone is under `rules`, located never."""
        if cfg.regions is not None:
            from consentkit.regional import Regional

            self.regional = Regional(cfg, cfg.regions, self.client_address, geo, self.writer)
        location = self.regional.headers if self.regional is not None else frozenset()
        self.environ_keys = site_environ_keys(cfg.proxy_header, location)
        """What WSGI adapters look up (`headers_from_environ`): of the forwarding and location
        headers, only the one proxy header and the edge network's this site believes."""
        edge = self.regional.vary if self.regional is not None else ""
        self.vary = f"{VARY}, {edge}" if edge else VARY
        """What a consent-dependent response varies with: the consent headers, and the edge network's
        location headers when regional regimes read them."""

    # -- request side -----------------------------------------------------------------------------
    def begin(self, request: RequestView) -> Exchange:
        headers = request.headers
        signals = read_signals(headers)
        now = time.time()
        cookie = headers.get("cookie", "")
        key = (cookie, signals)
        regional = self.regional
        if regional is None:
            decisions, located = self._decisions, ""
        else:  # the visitor's regime: its rules, and its own cache of decisions
            regime, located = regional.regime_of(request)
            decisions = regime.decisions
        hit = decisions.get(key)
        if hit is None or hit.until < now:
            hit = self._decide(request, signals, now, self.rules if regional is None else regime.rules)
            if len(cookie) <= 1024:  # bigger headers are rare and would crowd the cache out
                decisions.put(key, hit)
        # By position: keywords to a class build a dict on every call.
        state = ConsentState(hit.effective, signals, hit.choice, self._policy_version, self.counters)
        own = self.is_own_path(request.path)
        ex = Exchange(request, state, hit.effective, time.perf_counter(), hit, hit.groups, own, located)
        vid = hit.vid
        if vid is not None:
            ex.session_id = hit.sid or new_id()
            if vid:
                ex.visitor_id = vid
            else:
                ex.visitor_id, ex.new_visitor = new_id(), True
        if self.chat.active and not own:
            state._exchange = ex  # for chat_html(engine, state); dropped by finish()
        return ex

    def _decide(self, request: RequestView, signals: Signals, now: float, rules: Rules) -> CookieDecision:
        cookies = request.cookies
        choice = self.codec.decode(cookies.get(self._choice_cookie, ""), now)
        eff = decide(
            choice.granted if choice else None, signals, rules, choice.signals if choice else None
        )
        until = choice.decided_at + self.codec.max_age_s if choice else now + 3600
        vid: str | None = None
        sid = ""
        if self.config.ids_category in eff.categories:
            # Verified once per distinct Cookie header: the decision is cached (`CookieDecision`).
            vid = self.ids.verify("visitor", cookies.get(self._vid_cookie, ""))
            sid = self.ids.verify("session", cookies.get(self._sid_cookie, ""))
        groups = self.groups.of(eff)
        return CookieDecision(until, choice, eff, groups, vid, sid, self._expired(cookies, eff.categories))

    def _expired(self, cookies: dict[str, str], eff: frozenset[str]) -> tuple[str, ...]:
        out = []
        for cname in cookies:
            owner = self.owners.owner(cname)
            if owner is not None and owner != ALWAYS and owner not in eff:
                if is_cookie_name(cname):
                    out.append(cname)
                else:  # a client's bytes never reach a response header: left alone, counted
                    self.writer.tally("cookie.unsafe_name", owner)
        return tuple(out)

    def rules_of(self, effective: Effective) -> Rules:
        """The rules `effective` was decided under: its regime's, or the site's."""
        found = self.regional.named(effective.regime) if self.regional and effective.regime else None
        return found.rules if found is not None else self.rules

    def is_own_path(self, path: str) -> bool:
        n = len(self.prefix)  # slices, not startswith: this runs on every request
        return (path[:n] == self.prefix and (len(path) == n or path[n] == "/")) or path == "/.well-known/gpc.json"

    # -- response side ----------------------------------------------------------------------------
    def cookie_plan(
        self, ex: Exchange, app_cookies: Sequence[str], effective: Effective | None = None, *, html: bool = False
    ) -> CookiePlan:
        """What cookie control does to a response whose app sets `app_cookies` (their names):
        which of them go, what consentkit adds, and whether the response varies with consent
        (`html`: it is a page). Adapters apply it in their own terms (`responses.response_headers`
        for ASGI and WSGI header lists; Django's cookie API).

        Never raises, and fails closed: if deciding fails, only the app's cookies of required
        categories (and the choice cookie) pass and nothing is added; logged and counted.
        """
        try:
            # The usual page: the app sets no cookie, and this request made no id of its own. Its
            # plan is its decision's, made once.
            hit = ex.decision if not app_cookies and effective is None else None
            if hit is not None:
                plan = hit.plan
                if (plan is not None and (plan.add or html or ex.state.read) and not ex.new_visitor
                        and ex.session_id == (hit.sid or None)):
                    return plan
            eff = (effective or ex.effective).categories
            add = self.added_cookies(ex, eff)
            if not app_cookies:
                vary = bool(add or html or ex.state.read)
                if hit is not None and vary and add is hit.cookies:
                    plan = hit.plan = CookiePlan(_NONE, add, True)
                    return plan
                return CookiePlan(_NONE, add, vary)
            drop = frozenset(name for name in app_cookies if not self.keep_cookie(name, eff))
            return CookiePlan(drop, add, True)
        except Exception:
            log.exception("consentkit: response processing failed; only required categories' cookies pass")
            guard.count_failure(self.writer, "cookie_plan")
            return CookiePlan(frozenset(n for n in app_cookies if not self._may_pass(n)), (), True)

    def added_cookies(self, ex: Exchange, eff: frozenset[str]) -> tuple[CookieSpec, ...]:
        """The cookies consentkit sets on a response: expiries, then the id cookies.

        What the Cookie header decides is made once and kept with its cached decision; only a new
        session or visitor id, or a choice made by this very request, is made per request.
        """
        ids = self.config.ids_category in eff
        hit = ex.decision
        if hit is not None and hit.effective.categories is eff:
            known_sid, expire = hit.sid, hit.expire
            cached = hit.cookies
            if cached is None:
                cached = hit.cookies = self._specs(expire, known_sid)
        else:  # a choice made by this request (or a hand-made exchange)
            known_sid, expire = "", self._expired(ex.request.cookies, eff)
            cached = self._specs(expire, "")
        if expire:  # rare: on the domains scripts may have set them for too (not cached: Host varies)
            cached = (*cached, *self._expire_elsewhere(expire, ex.request.host))
        sid = ex.session_id
        if not ids or (sid == known_sid and not ex.new_visitor):
            return cached
        out = list(cached)
        if sid is not None and sid != known_sid:
            out.append(self._id_cookie("session", sid))
        if ex.new_visitor:
            out.append(self._id_cookie("visitor", ex.visitor_id or ""))
        return tuple(out)

    def set_cookie_headers(self, ex: Exchange, cookies: tuple[CookieSpec, ...]) -> list[tuple[str, str]]:
        """`cookies` as Set-Cookie headers; those of the cached decision are rendered once."""
        https = ex.request.secure
        hit = ex.decision
        if hit is not None and cookies is hit.cookies:
            rendered = hit.rendered.get(https)
            if rendered is None:
                rendered = hit.rendered[https] = [("set-cookie", self.flags.header(c, https)) for c in cookies]
            return rendered
        return [("set-cookie", self.flags.header(c, https)) for c in cookies]

    def _expire_elsewhere(self, expire: tuple[str, ...], host: str) -> list[CookieSpec]:
        """Expiries of `expire` on the domains other than the site's own that a script on this host
        could have set them for (analytics scripts set theirs on the parent domain), and host-only
        when the site's cookies have a domain."""
        site = self.flags.domain
        domains = [d for d in domains_of(host) if d != (site or "").lstrip(".")]
        if site:
            domains.append("")
        return [CookieSpec(name, "", 0, d) for name in expire for d in domains]

    def _specs(self, expire: tuple[str, ...], sid: str) -> tuple[CookieSpec, ...]:
        out = [CookieSpec(c, "", 0) for c in expire]
        if sid:
            out.append(self._id_cookie("session", sid))
        return tuple(out)

    def _id_cookie(self, kind: IdKind, ident: str) -> CookieSpec:
        signed = self.ids.sign(kind, ident)
        if kind == "visitor":
            return CookieSpec(self._vid_cookie, signed, self._visitor_age)
        return CookieSpec(self._sid_cookie, signed, self._session_age)

    def _may_pass(self, name: str) -> bool:
        """Whether an app's cookie may pass while cookie control is failing (False when even
        that cannot be told)."""
        try:
            owner = self.owners.owner(name)
            return owner is not None and (owner == ALWAYS or owner in self.config.required)
        except Exception:  # noqa: BLE001 - cookie_plan logs the failure this is part of
            return False

    def keep_cookie(self, name: str, eff: frozenset[str]) -> bool:
        """Whether an app's cookie may be set while `eff` is in effect (counted when it may not)."""
        owner = self.owners.owner(name)
        if owner == ALWAYS or (owner is not None and owner in eff):
            return True
        key = name[:64]
        if owner is not None:
            self.writer.tally("cookie.stripped", f"{key}|{owner}")
            return False
        policy = self.config.undeclared_cookies
        if policy != "allow":
            self.writer.tally(f"cookie.undeclared.{'blocked' if policy == 'block' else 'reported'}", key)
        return policy != "block"

    def finish(self, ex: Exchange, status: int, content_type: str) -> None:
        """After the response: hand the page view to collection; never raises into the app."""
        if self.chat.active:
            try:
                self.chat.finished(ex, status, content_type)
            except Exception:  # noqa: BLE001 - logged and counted by guard.report
                guard.report(self.writer, "chat")
        if self.collector is not None:
            try:
                self.collector.page(ex, status, content_type)
            except Exception:  # noqa: BLE001 - logged and counted by guard.report
                guard.report(self.writer, "collection")

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        self.writer.stop()
        if self.collector is not None:
            self.collector.close()
        if self.regional is not None:
            self.regional.close()
        self.store.close()
