"""`Chat`, the chat service of the engine (`engine.chat`): decides, counts, renders; `chat.routes` answers its URLs.

Always present; `active` is False unless `chat.enabled` and a `chat.provider` are set, and then
every entry point returns at once. Hooks can be registered either way (`@engine.chat.rule`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

from consentkit import guard
from consentkit.banner.texts import chat_wording, pick_language
from consentkit.chat.hooks import HookRegistry
from consentkit.chat.inject import pick_nonce
from consentkit.chat.outcome import ChatDecision
from consentkit.chat.render import snippet
from consentkit.chat.streams import InjectPlan
from consentkit.collect.paths import is_prefetch
from consentkit.consent import ConsentState
from consentkit.http import content_length, is_html

if TYPE_CHECKING:
    from consentkit.collect.geo import GeoLookup
    from consentkit.collect.ip import ClientAddress
    from consentkit.config import ConsentConfig
    from consentkit.exchange import Exchange
    from consentkit.storage.writer import Writer

log = logging.getLogger("consentkit")


class Chat:
    def __init__(self, site: ConsentConfig, writer: Writer, geo: GeoLookup | None, address: ClientAddress) -> None:
        cfg = site.chat
        self.site = site
        """The whole configuration (the chat's own part is `config`)."""
        self.writer = writer
        self.address = address
        """The visitor's address as the site's proxies report it."""
        self.config = cfg
        self.active = cfg.active
        self.hooks = HookRegistry()
        self.rule = self.hooks.rule
        self.category = cfg.category
        self.inject = False
        self._warned: set[str] = set()
        if not self.active:
            return
        from consentkit.chat.context import ContextBuilder
        from consentkit.chat.decision import Decider
        from consentkit.chat.visits import Visits
        from consentkit.collect.ratelimit import RateLimiter

        self.prefix = site.prefix
        self.inject = cfg.inject
        self.cap = cfg.max_html_bytes
        self.visits = Visits(cfg.session_cache_size, site.cookies.session_idle_minutes * 60)
        self.builder = ContextBuilder(site, self.visits, geo, address)
        self._returning = self.builder.returning  # bound once: it is passed on every page view
        self.optional = site.optional
        self.decider = Decider(cfg, self.builder, self.hooks, self.optional,
                               site.signals.explicit_optin_overrides)
        self.rate = RateLimiter(cfg.clicks_per_minute)
        self._tally = writer.tally
        self._vetoes = self.decider.ruleset.exclude is not None

    # -- per request ---------------------------------------------------------------------------------
    def decide(self, ex: Exchange, *, current_page: bool = True, path: str | None = None) -> ChatDecision:
        """The decision for this request's page (made once, then reused), or for another `path`.

        Counted when it takes effect: a "hide" when made, a show or placeholder when its markup is
        rendered or, for a single-page app, sent (`count`).
        """
        return self._decide(ex, current_page, ex.request.path if path is None else path)

    def _decide(self, ex: Exchange, current_page: bool, path: str) -> ChatDecision:
        if current_page and ex.chat is not None:
            return ex.chat
        decision = self.decider.vetoed(path) if self._vetoes else None
        if decision is None:
            decision = self.decider.decide(ex, current_page, path, ex.groups)
        if decision.outcome == "hide":
            self._tally("chat", decision.counted)  # as count(), one call less on every hidden page
        if current_page:
            ex.chat = decision
        return decision

    def count(self, decision: ChatDecision) -> None:
        """Count a decision that took effect."""
        self._tally("chat", decision.counted)

    def grant_for(self, ex: Exchange) -> list[str]:
        """What the placeholder's button grants: the optional categories in effect, plus the chat's."""
        return sorted((ex.effective.categories & self.optional) | {self.category})

    def plan(self, ex: Exchange, status: int, content_type: str,
             headers: Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]], nonce_hint: object = None, *,
             defer: bool = False) -> InjectPlan | None:
        """Called by the middlewares at response start: None passes the response through untouched.

        The decision is made here, a "hide" giving None before `headers` (the response's, or just
        its Content-* ones; as str, or as ASGI's bytes) are read. With `defer` (WSGI) the markup is
        rendered only when the plan's snippet is first asked for, once the body is known to be
        insertable. `nonce_hint` is `scope["csp_nonce"]` / `environ["csp_nonce"]`. Never raises.
        """
        if status != 200 or not self.inject or ex.chat_placed or ex.request.method not in ("GET", "POST") or (
                not is_html(content_type)):
            return None
        try:
            if self._decide(ex, True, ex.request.path).outcome == "hide":
                return None
            length = encoding = csp = ""
            for k, v in _as_str(headers):
                lk = k.lower()
                if lk == "content-length":
                    length = v
                elif lk == "content-encoding":
                    encoding = v
                elif lk == "content-security-policy":
                    csp = v
            if encoding and encoding.strip().lower() != "identity":
                self._once("encoded", "chat not inserted into a compressed (Content-Encoding: %s) page; put the "
                           "compression middleware outside consentkit's, or place chat_html() in the template",
                           encoding)
                return None
            size = content_length(length)
            cap = self.cap
            if size is not None and size > cap:
                self._once("large", "chat not inserted into a page of %s bytes (chat.max_html_bytes)", size)
                return None
            if defer:
                return InjectPlan(_Later(self, ex, nonce_hint, csp), content_type, size, cap)
            html = self._snippet(ex, nonce_hint, csp)
            return None if html is None else InjectPlan(html, content_type, size, cap)
        except Exception:  # noqa: BLE001 - logged and counted by guard.report
            guard.report(self.writer, "chat")
        return None

    def _snippet(self, ex: Exchange, nonce_hint: object, csp: str) -> str | None:
        """The markup for this request's decision (counted), or None when it is "hide". Never raises."""
        with guard.contained(self.writer, "chat"):
            if ex.chat_placed:
                return None  # chat_html() placed it meanwhile
            decision = self._decide(ex, True, ex.request.path)
            if decision.outcome == "hide":
                return None
            html = self._render(ex, decision, pick_nonce(nonce_hint, csp or None))
            self.count(decision)
            return html
        return None

    def html(self, state_or_exchange: ConsentState | Exchange, *, nonce: str | None = None,
             lang: str | None = None) -> str:
        """The chat markup for the app to place itself; the middleware then inserts nothing.

        `lang` is the page's language, as for `banner_html`."""
        if not self.active:
            return ""
        with guard.contained(self.writer, "chat"):
            return self._html(state_or_exchange, nonce, lang)
        return ""

    def _html(self, state_or_exchange: ConsentState | Exchange, nonce: str | None, lang: str | None) -> str:
        state = state_or_exchange if isinstance(state_or_exchange, ConsentState) else state_or_exchange.state
        ex: Exchange | None = state._exchange
        if ex is None or ex.state is not state:
            self._once("unknown", "chat_html(): this request is unknown (not passed through consentkit's "
                       "middleware, or already finished)%s", "")
            return ""
        placed, ex.chat_placed = ex.chat_placed, True
        decision = self._decide(ex, True, ex.request.path)
        if decision.outcome == "hide":
            return ""
        html = self._render(ex, decision, pick_nonce(nonce, None), lang)
        if not placed:  # a template that places it twice shows it once
            self.count(decision)
        return html

    def _render(self, ex: Exchange, decision: ChatDecision, nonce: str | None, lang: str | None = None) -> str:
        req = ex.request
        nxt = req.path + ("?" + req.query_string if req.query_string else "")
        if decision.outcome != "placeholder":  # the widget speaks for itself
            return snippet(self.config, self.prefix, decision, nonce=nonce, grant=self.grant_for(ex),
                           next_url=nxt)
        picked = self.language(ex, lang)
        return snippet(self.config, self.prefix, decision, nonce=nonce, grant=self.grant_for(ex),
                       next_url=nxt, lang=picked, wording=chat_wording(self.site, picked))

    def language(self, ex: Exchange, lang: str | None = None) -> str:
        """The placeholder's language, picked as the banner picks its own: the page's `lang` when
        given, else the request's Accept-Language, else `banner.default_language`."""
        return pick_language(self.site.banner, lang, ex.request.header("accept-language"))

    def finished(self, ex: Exchange, status: int, content_type: str) -> None:
        """Called by `Engine.finish` while the chat is active: forget the request; count an HTML page
        view into its visit, unless `exclude_paths` puts the page outside the chat."""
        ex.state._exchange = None
        chat = ex.chat
        sid = ex.session_id
        if (chat is not None and not chat.track) or sid is None or "session_id" not in ex.groups:
            return  # nothing to keep about this visit
        if not is_html(content_type) or not 200 <= status < 400 or ex.request.method != "GET":
            return  # not a page view
        if chat is None and self._vetoes and self.decider.vetoed(ex.request.path) is not None:
            return  # an excluded page nothing decided for (no chat placed on it): outside the chat too
        d = self.decider
        if d.hooks.needs is not d.hook_needs:  # a hook was registered since
            d.derive()
        if d.tracks_visits and not is_prefetch(ex.request.headers):
            self.visits.record(sid, ex.request.path, time.time(), self._returning, ex)

    def _once(self, key: str, message: str, arg: object) -> None:
        if key in self._warned:
            log.debug("consentkit: " + message, arg)
        else:
            self._warned.add(key)
            log.warning("consentkit: " + message + " (logged once; later ones at debug level)", arg)


def _as_str(headers: Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]]) -> Iterable[tuple[str, str]]:
    """Headers as str; ASGI's bytes are decoded here, so that a hidden chat decodes none."""
    if headers and isinstance(headers[0][0], bytes):
        raw = cast("Sequence[tuple[bytes, bytes]]", headers)
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k[:8].lower() == b"content-"]
    return cast("Sequence[tuple[str, str]]", headers)


class _Later:
    """The deferred markup of a WSGI plan (a class, not a closure, to keep `plan` lean)."""

    __slots__ = ("chat", "csp", "ex", "nonce_hint")

    def __init__(self, chat: Chat, ex: Exchange, nonce_hint: object, csp: str) -> None:
        self.chat, self.ex, self.nonce_hint, self.csp = chat, ex, nonce_hint, csp

    def __call__(self) -> str | None:
        return self.chat._snippet(self.ex, self.nonce_hint, self.csp)
