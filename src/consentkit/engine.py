"""The framework-free core: one Engine per site, shared by every adapter.

Adapters turn their request into a `RequestView`, call `begin`, let `endpoints.handle` answer
consentkit's own URLs, pass the app's response headers through `response_headers`, and call
`finish` once the response is sent. Per-request state lives in the `Exchange`, never on the engine.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from consentkit.boundedcache import BoundedCache
from consentkit.chat.service import Chat
from consentkit.collect.groups import GroupsInEffect
from consentkit.config import ConsentConfig, load_config
from consentkit.consent import ChoiceCodec, ConsentState, is_id, new_id
from consentkit.cookielife import count_lifetime
from consentkit.cookieparse import set_cookie_name
from consentkit.cookies import cookie_flags, cookie_owners
from consentkit.exchange import CookieDecision, Exchange
from consentkit.http import VARY, RequestView, is_html
from consentkit.owners import ALWAYS
from consentkit.policy import Effective, Rules, decide
from consentkit.signals import Signals, read_signals
from consentkit.storage import Store, open_store
from consentkit.storage.writer import Writer

if TYPE_CHECKING:
    from consentkit.collect.pipeline import Collector

log = logging.getLogger("consentkit")


class Engine:
    def __init__(self, config: ConsentConfig | str | None = None, *, store: Store | None = None) -> None:
        self.config = cfg = load_config(config)
        self.prefix = cfg.prefix
        self.codec = ChoiceCodec(
            cfg.signing_keys, cfg.policy_version, cfg.cookies.choice_days * 86400, frozenset(cfg.category_keys)
        )
        self.rules = Rules(
            required=cfg.required,
            default=frozenset(cfg.default_granted),
            dnt_denies=cfg.dnt_denies,
            gpc_denies=cfg.gpc_denies,
            explicit_optin_overrides=cfg.signals.explicit_optin_overrides,
        )
        self.owners = cookie_owners(cfg)
        self.flags = cookie_flags(cfg)
        self.store = store if store is not None else open_store(cfg.storage_url)
        col = cfg.collection
        self.writer = Writer(
            self.store, queue_size=col.queue_size, batch_size=col.batch_size or self.store.default_batch_size,
            interval_s=col.flush_interval_ms / 1000, full_queue=col.full_queue, block_ms=col.block_ms,
        )
        self._choice_cookie = cfg.cookies.choice_name
        self._vid_cookie = cfg.cookies.visitor_name
        self._sid_cookie = cfg.cookies.session_name
        self._session_age = cfg.cookies.session_idle_minutes * 60
        self._visitor_age = cfg.cookies.visitor_days * 86400
        self._policy_version = cfg.policy_version
        self._decisions: BoundedCache[tuple[str, Signals], CookieDecision] = BoundedCache(4096)
        self.groups = GroupsInEffect(cfg.collection.fields)
        """Makes `Exchange.groups`, once per cached Cookie-header decision (`CookieDecision.groups`)."""
        self.collector: Collector | None = None
        if col.enabled:
            from consentkit.collect.pipeline import Collector

            self.collector = Collector(cfg, self.store, self.writer)
        self.chat = Chat(cfg, self.writer, self.collector.geo if self.collector is not None else None)

    # -- request side -----------------------------------------------------------------------------
    def begin(self, request: RequestView) -> Exchange:
        headers = request.headers
        signals = read_signals(headers)
        now = time.time()
        cookie = headers.get("cookie", "")
        key = (cookie, signals)
        hit = self._decisions.get(key)
        if hit is None or hit.until < now:
            hit = self._decide(request, signals, now)
            if len(cookie) <= 1024:  # bigger headers are rare and would crowd the cache out
                self._decisions.put(key, hit)
        state = ConsentState(hit.effective, signals, hit.choice, self._policy_version)
        own = self.is_own_path(request.path)
        ex = Exchange(request, state, time.perf_counter(), decision=hit, groups=hit.groups, own=own)
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

    def _decide(self, request: RequestView, signals: Signals, now: float) -> CookieDecision:
        cookies = request.cookies
        choice = self.codec.decode(cookies.get(self._choice_cookie, ""), now)
        eff = decide(
            choice.granted if choice else None, signals, self.rules, choice.signals if choice else None
        )
        until = choice.decided_at + self.codec.max_age_s if choice else now + 3600
        vid: str | None = None
        sid = ""
        if self.config.ids_category in eff.categories:
            vid = cookies.get(self._vid_cookie, "")
            vid = vid if is_id(vid) else ""
            sid = cookies.get(self._sid_cookie, "")
            sid = sid if is_id(sid) else ""
        groups = self.groups.of(eff)
        return CookieDecision(until, choice, eff, groups, vid, sid, self._expired(cookies, eff.categories))

    def _expired(self, cookies: dict[str, str], eff: frozenset[str]) -> tuple[str, ...]:
        out = []
        for cname in cookies:
            owner = self.owners.owner(cname)
            if owner is not None and owner != ALWAYS and owner not in eff:
                out.append(cname)
        return tuple(out)

    def is_own_path(self, path: str) -> bool:
        n = len(self.prefix)  # slices, not startswith: this runs on every request
        return (path[:n] == self.prefix and (len(path) == n or path[n] == "/")) or path == "/.well-known/gpc.json"

    # -- response side ----------------------------------------------------------------------------
    def response_headers(
        self, ex: Exchange, headers: list[tuple[str, str]], effective: Effective | None = None, *, html: bool = False
    ) -> list[tuple[str, str]]:
        """The app's headers with cookie control applied, id cookies and Vary added.

        `headers` may be just the app's Set-Cookie and Vary headers, with `html` saying whether the
        response is an HTML page: the result then replaces those.
        """
        eff = (effective or ex.state._effective).categories
        https = ex.request.secure
        out: list[tuple[str, str]] = []
        touched = ex.state.read or html
        vary_at = -1
        for name, value in headers:
            lname = name.lower()
            if lname == "set-cookie":
                touched = True
                cname = set_cookie_name(value)
                if not self._keep_set_cookie(cname, eff):
                    continue
                count_lifetime(self.writer, cname, value)  # for the cookie declaration
            elif lname == "vary":
                vary_at = len(out)
            elif lname == "content-type" and is_html(value):
                touched = True
            out.append((name, value))
        added = self._cookie_headers(ex, eff, https)
        if added:  # expiries or id cookies: the response depends on the request's cookies
            touched = True
            out.extend(added)
        if touched:
            if vary_at >= 0:
                name, value = out[vary_at]
                have = {v.strip().lower() for v in value.split(",")}
                if "*" not in have:
                    missing = [v for v in VARY.split(", ") if v.lower() not in have]
                    out[vary_at] = (name, ", ".join([value, *missing]) if missing else value)
            else:
                out.append(("vary", VARY))
        return out

    def _cookie_headers(self, ex: Exchange, eff: frozenset[str], https: bool) -> list[tuple[str, str]]:
        """Set-Cookie headers consentkit adds: expiries, then the id cookies.

        What the Cookie header decides is rendered once and kept with its cached decision; only a
        new session or visitor id, or a choice made by this very request, is rendered per request.
        """
        ids = self.config.ids_category in eff
        hit = ex.decision
        if hit is not None and hit.effective.categories is eff:
            known_sid = hit.sid
            cached = hit.rendered.get(https)
            if cached is None:
                cached = hit.rendered[https] = self._render(hit.expire, known_sid, https)
        else:  # a choice made by this request (or a hand-made exchange)
            known_sid = ""
            cached = self._render(self._expired(ex.request.cookies, eff), "", https)
        sid = ex.session_id
        if not ids or (sid == known_sid and not ex.new_visitor):
            return cached
        out = list(cached)
        if sid is not None and sid != known_sid:
            out.append(("set-cookie", self.flags.render(self._sid_cookie, sid, self._session_age, https)))
        if ex.new_visitor:
            vid = ex.visitor_id or ""
            out.append(("set-cookie", self.flags.render(self._vid_cookie, vid, self._visitor_age, https)))
        return out

    def _render(self, expire: tuple[str, ...], sid: str, https: bool) -> list[tuple[str, str]]:
        out = [("set-cookie", self.flags.expire(c, https)) for c in expire]
        if sid:
            out.append(("set-cookie", self.flags.render(self._sid_cookie, sid, self._session_age, https)))
        return out

    def _keep_set_cookie(self, cname: str, eff: frozenset[str]) -> bool:
        owner = self.owners.owner(cname)
        if owner == ALWAYS or (owner is not None and owner in eff):
            return True
        key = cname[:64]
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
            self.chat.finished(ex, status, content_type)
        if self.collector is None:
            return
        try:
            self.collector.page(ex, status, content_type)
        except Exception:
            log.exception("consentkit: collection failed for one request")

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        self.writer.stop()
        if self.collector is not None:
            self.collector.close()
        self.store.close()
