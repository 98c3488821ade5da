"""`ChatDeployer`, the chat part of the engine (`engine.chat`): decides, counts, renders, routes.

Always present; `active` is False unless `chat.enabled` and a `chat.provider` are set, and then
every entry point returns at once. Hooks can be registered either way (`@engine.chat.rule`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from consentkit.chat.context import FROM_VISITS
from consentkit.chat.decision import ChatDecision, Outcome
from consentkit.chat.inject import pick_nonce
from consentkit.chat.render import snippet
from consentkit.chat.rules import ChatRules
from consentkit.chat.streams import InjectPlan
from consentkit.clock import today
from consentkit.collect.paths import is_prefetch
from consentkit.http import Reply

if TYPE_CHECKING:
    from consentkit.consent import ConsentState
    from consentkit.engine import Engine, Exchange

log = logging.getLogger("consentkit")
LIVE_MAX = 4096
__all__ = ["ChatDecision", "ChatDeployer", "Outcome"]


class ChatDeployer:
    def __init__(self, engine: Engine) -> None:
        cfg = engine.config.chat
        self.engine = engine
        self.config = cfg
        self.active = cfg.active
        self.rules = ChatRules()
        self.rule = self.rules.rule
        self.category = cfg.category
        self.inject = False
        # id(state) → [exchange, decision or None, placed by chat_html, field groups in effect or None];
        # dropped when the request finishes
        self._live: dict[int, list[Any]] = {}
        self._warned: set[str] = set()
        if not self.active:
            return
        from consentkit.chat.context import ContextBuilder
        from consentkit.chat.decision import Decider
        from consentkit.chat.visits import Visits
        from consentkit.collect.ratelimit import RateLimiter

        self.prefix = engine.prefix
        self.inject = cfg.inject
        self.cap = cfg.max_html_bytes
        self.visits = Visits(cfg.session_cache_size, engine.config.cookies.session_idle_minutes * 60)
        self.builder = ContextBuilder(engine, self.visits)
        # Pages are recorded into visits only while a rule, hook or pre-chat field reads visit data.
        self._needs_seen: frozenset[str] | None = None
        self._tracking = True
        self.optional = engine.config.optional
        self.decider = Decider(cfg, self.builder, self.rules, self.optional,
                               engine.config.signals.explicit_optin_overrides)
        self.rate = RateLimiter(cfg.clicks_per_minute)
        self._count = engine.writer.count
        self._groups = engine.groups
        self._vetoes = self.decider.ruleset.exclude is not None

    # -- per request ------------------------------------------------------------------------------
    def attach(self, ex: Exchange) -> None:
        """Called by `Engine.begin`: lets `chat_html(engine, state)` find the request later."""
        if not self.active or ex.request.path.startswith(self.prefix):
            return
        live = self._live
        if len(live) >= LIVE_MAX:  # requests that never finished (the app raised): forget the oldest
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del live[next(iter(live))]
        live[id(ex.state)] = [ex, None, False, None]

    def decide(self, ex: Exchange, *, current_page: bool = True, path: str | None = None) -> ChatDecision:
        """The decision for this request; made and counted once per page, then reused."""
        return self._decide(ex, self._record(ex), current_page, ex.request.path if path is None else path)

    def _record(self, ex: Exchange) -> list[Any] | None:
        """This request's record in `_live` (None for a request `attach` did not see)."""
        rec = self._live.get(id(ex.state))
        return rec if rec is not None and rec[0] is ex else None

    def _decide(self, ex: Exchange, rec: list[Any] | None, current_page: bool, path: str) -> ChatDecision:
        """The decision kept in `rec`, or made, counted and kept there."""
        if rec is not None and rec[1] is not None:
            done: ChatDecision = rec[1]
            return done
        decision = self.decider.vetoed(path) if self._vetoes else None
        if decision is None:
            groups = self._groups(ex.state)
            if rec is not None:
                rec[3] = groups  # for finished()
            decision = self.decider.decide(ex, current_page, path, groups)
        try:
            self._count(today(), "chat", decision.counted)
        except Exception:
            log.exception("consentkit: could not count a chat decision")
        if rec is not None:
            rec[1] = decision
        return decision

    def grant_for(self, state: ConsentState) -> list[str]:
        """What the placeholder's button grants: the optional categories in effect, plus the chat's."""
        return sorted((state._effective.categories & self.optional) | {self.category})

    def plan(self, ex: Exchange, status: int, headers: list[tuple[str, str]], nonce_hint: object = None, *,
             defer: bool = False) -> InjectPlan | None:
        """Called by the middlewares at response start: None passes the response through untouched.

        The decision is made (and counted) here, a "hide" giving None; with `defer` (WSGI), only
        when the plan's snippet is first asked for, once the body is known to be insertable.
        `nonce_hint` is `scope["csp_nonce"]` / `environ["csp_nonce"]`. Never raises.
        """
        if status != 200 or not self.inject or ex.request.method not in ("GET", "POST"):
            return None
        try:
            ctype = length = encoding = csp = ""
            for k, v in headers:
                if k[:1] in "cC":  # the others are skipped without making a lower-case copy
                    lk = k.lower()
                    if lk == "content-type":
                        ctype = v
                    elif lk == "content-length":
                        length = v
                    elif lk == "content-encoding":
                        encoding = v
                    elif lk == "content-security-policy":
                        csp = v
            if ctype[:9].lower() != "text/html":
                return None
            rec = self._record(ex)
            if rec is not None and rec[2]:
                return None  # chat_html() placed it
            if encoding and encoding.strip().lower() != "identity":
                self._once("encoded", "chat not inserted into a compressed (Content-Encoding: %s) page; put the "
                           "compression middleware outside consentkit's, or place chat_html() in the template",
                           encoding)
                return None
            size = int(length) if length.strip().isdigit() else None
            cap = self.cap
            if size is not None and size > cap:
                self._once("large", "chat not inserted into a page of %s bytes (chat.max_html_bytes)", size)
                return None
            if defer:
                return InjectPlan(_Later(self, ex, nonce_hint, csp), ctype, size, cap)
            if self._decide(ex, rec, True, ex.request.path).outcome == "hide":
                return None
            html = self._snippet(ex, nonce_hint, csp)
            return None if html is None else InjectPlan(html, ctype, size, cap)
        except Exception:
            log.exception("consentkit: chat failed for one page; it is served without the chat")
            return None

    def _snippet(self, ex: Exchange, nonce_hint: object, csp: str) -> str | None:
        """The markup for this request's decision, or None when it is "hide". Never raises."""
        try:
            rec = self._record(ex)
            if rec is not None and rec[2]:
                return None  # chat_html() placed it meanwhile
            decision = self._decide(ex, rec, True, ex.request.path)
            if decision.outcome == "hide":
                return None
            return self._render(ex, decision, pick_nonce(nonce_hint, csp or None))
        except Exception:
            log.exception("consentkit: chat failed for one page; it is served without the chat")
            return None

    def html(self, state_or_exchange: ConsentState | Exchange, *, nonce: str | None = None) -> str:
        """The chat markup for the app to place itself; the middleware then inserts nothing."""
        if not self.active:
            return ""
        try:
            return self._html(state_or_exchange, nonce)
        except Exception:
            log.exception("consentkit: chat_html() failed; the page is served without the chat")
            return ""

    def _html(self, state_or_exchange: ConsentState | Exchange, nonce: str | None) -> str:
        key = getattr(state_or_exchange, "state", state_or_exchange)
        rec = self._live.get(id(key))
        if rec is None or rec[0].state is not key:
            self._once("unknown", "chat_html(): this request is unknown (not passed through consentkit's "
                       "middleware, or already finished)%s", "")
            return ""
        rec[2] = True
        decision = self.decide(rec[0])
        if decision.outcome == "hide":
            return ""
        return self._render(rec[0], decision, pick_nonce(nonce, None))

    def _render(self, ex: Exchange, decision: ChatDecision, nonce: str | None) -> str:
        req = ex.request
        nxt = req.path + ("?" + req.query_string if req.query_string else "")
        return snippet(self.config, self.prefix, decision, nonce=nonce, grant=self.grant_for(ex.state), next_url=nxt)

    def finished(self, ex: Exchange, status: int, content_type: str) -> None:
        """Called by `Engine.finish`: forget the request; count an HTML page view into its visit."""
        if not self.active:
            return
        rec = self._live.pop(id(ex.state), None)
        sid = ex.session_id
        if sid is None or not content_type.startswith("text/html") or ex.request.method != "GET" \
                or not 200 <= status < 400:
            return  # not a page view of a visit that may be tracked
        if self.rules.needs is not self._needs_seen:  # a hook was registered since
            d = self.decider
            self._needs_seen = hooks = self.rules.needs
            self._tracking = bool((d.ruleset.needs | hooks | d.prechat_needs) & FROM_VISITS)
        if not self._tracking:
            return
        try:
            groups = rec[3] if rec is not None and rec[0] is ex and rec[3] is not None else self._groups(ex.state)
            if "session_id" in groups and not is_prefetch(ex.request.headers):
                self.visits.record(sid, ex.request.path, lambda: self.builder.returning(ex))
        except Exception:
            log.exception("consentkit: chat visit tracking failed for one request")

    def _once(self, key: str, message: str, arg: object) -> None:
        if key in self._warned:
            log.debug("consentkit: " + message, arg)
        else:
            self._warned.add(key)
            log.warning("consentkit: " + message + " (logged once; later ones at debug level)", arg)

    # -- endpoints --------------------------------------------------------------------------------
    def endpoint(self, ex: Exchange, sub: str, method: str) -> Reply:
        """GET {prefix}/chat (single-page apps), GET {prefix}/chat.js, POST {prefix}/chat/click."""
        from consentkit.chat.routes import route

        return route(self, ex, sub, method)


class _Later:
    """The deferred decision of a WSGI plan (a class, not a closure, to keep `plan` lean)."""

    __slots__ = ("chat", "csp", "ex", "nonce_hint")

    def __init__(self, chat: ChatDeployer, ex: Exchange, nonce_hint: object, csp: str) -> None:
        self.chat, self.ex, self.nonce_hint, self.csp = chat, ex, nonce_hint, csp

    def __call__(self) -> str | None:
        return self.chat._snippet(self.ex, self.nonce_hint, self.csp)
