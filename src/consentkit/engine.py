"""The framework-free core: one Engine per site, shared by every adapter.

Adapters turn their request into a `RequestView`, call `begin`, let `endpoints.handle` answer
consentkit's own URLs, pass the app's response headers through `response_headers`, and call
`finish` once the response is sent. Per-request state lives in the `Exchange`, never on the engine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consentkit.boundedcache import BoundedCache
from consentkit.chat.deploy import ChatDeployer
from consentkit.clock import today
from consentkit.collect.groups import GroupsInEffect
from consentkit.config import ConsentConfig, load_config
from consentkit.consent import Choice, ChoiceCodec, ConsentState, is_id, new_id
from consentkit.cookieparse import set_cookie_name
from consentkit.cookies import ALWAYS, CookieOwners, cookie_flags
from consentkit.http import VARY, RequestView
from consentkit.policy import Effective, Rules, decide_cached
from consentkit.signals import Signals, read_signals
from consentkit.storage import Store, open_store
from consentkit.storage.writer import Writer

if TYPE_CHECKING:
    from consentkit.collect.pipeline import Collector

log = logging.getLogger("consentkit")
Begun = tuple[float, "Choice | None", Effective, "str | None", bool]
"""What a Cookie header decides: valid until, choice, categories in effect, visitor id, cacheable."""


@dataclass(slots=True)
class Exchange:
    """One request/response as consentkit sees it."""

    request: RequestView
    state: ConsentState
    started: float
    visitor_id: str | None = None
    session_id: str | None = None
    new_visitor: bool = False
    extra_headers: list[tuple[str, str]] = field(default_factory=list)


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
        self.owners = CookieOwners(cfg)
        self.flags = cookie_flags(cfg)
        self.store = store if store is not None else open_store(cfg.storage_url)
        col = cfg.collection
        self.writer = Writer(
            self.store, queue_size=col.queue_size, batch_size=col.batch_size,
            interval_s=col.flush_interval_ms / 1000, full_queue=col.full_queue, block_ms=col.block_ms,
        )
        self._choice_cookie = cfg.cookies.choice_name
        self._vid_cookie = cfg.cookies.visitor_name
        self._sid_cookie = cfg.cookies.session_name
        self._session_age = cfg.cookies.session_idle_minutes * 60
        self._visitor_age = cfg.cookies.visitor_days * 86400
        self._policy_version = cfg.policy_version
        self._begun: BoundedCache[tuple[str, Signals], Begun] = BoundedCache(8192)
        self.groups = GroupsInEffect(cfg.collection.fields, cfg.signals.explicit_optin_overrides)
        """The field groups a request allows: shared by collection and chat."""
        self.collector: Collector | None = None
        if col.enabled:
            from consentkit.collect.pipeline import Collector

            self.collector = Collector(self)
        self.chat = ChatDeployer(self)

    # -- request side -----------------------------------------------------------------------------
    def begin(self, request: RequestView) -> Exchange:
        headers = request.headers
        signals = read_signals(headers)
        now = time.time()
        # A returning visitor sends the same Cookie header on every request: what it decides is
        # remembered (bounded) until the choice in it expires.
        key = (headers.get("cookie", ""), signals)
        hit = self._begun.get(key)
        if hit is None or hit[0] < now:
            hit = self._decide(request, signals, now)
            if hit[4]:
                self._begun.put(key, hit)
        _, choice, eff, vid, _ = hit
        state = ConsentState(eff, signals, choice, self._policy_version)
        ex = Exchange(request, state, time.perf_counter())
        if vid is not None:
            sid = request.cookies.get(self._sid_cookie, "")
            ex.session_id = sid if is_id(sid) else new_id()
            if vid:
                ex.visitor_id = vid
            else:
                ex.visitor_id, ex.new_visitor = new_id(), True
        if self.chat.active:
            self.chat.attach(ex)
        return ex

    def _decide(
        self, request: RequestView, signals: Signals, now: float
    ) -> Begun:
        """(valid until, choice, effective, visitor id ("" = make one; None = no ids), cacheable)."""
        cookies = request.cookies
        choice = self.codec.decode(cookies.get(self._choice_cookie, ""), now)
        eff = decide_cached(
            choice.granted if choice else None, signals, self.rules, choice.signals if choice else None
        )
        until = choice.decided_at + self.codec.max_age_s if choice else now + 3600
        vid: str | None = None
        if self.config.ids_category in eff.categories:
            vid = cookies.get(self._vid_cookie, "")
            vid = vid if is_id(vid) else ""
        return until, choice, eff, vid, len(request.headers.get("cookie", "")) <= 1024

    def is_own_path(self, path: str) -> bool:
        return (path.startswith(self.prefix) and (
            len(path) == len(self.prefix) or path[len(self.prefix)] == "/"
        )) or path == "/.well-known/gpc.json"

    # -- response side ----------------------------------------------------------------------------
    def response_headers(
        self, ex: Exchange, headers: list[tuple[str, str]], effective: Effective | None = None
    ) -> list[tuple[str, str]]:
        """The app's headers with cookie control applied, id cookies and Vary added."""
        eff = (effective or ex.state._effective).categories
        https = ex.request.secure
        out: list[tuple[str, str]] = []
        touched = ex.state.read
        vary_at = -1
        for name, value in headers:
            lname = name.lower()
            if lname == "set-cookie":
                touched = True
                if not self._keep_set_cookie(set_cookie_name(value), eff):
                    continue
            elif lname == "vary":
                vary_at = len(out)
            elif lname == "content-type" and value.startswith("text/html"):
                touched = True
            out.append((name, value))
        for cname in ex.request.cookies:
            owner = self.owners.owner(cname)
            if owner is not None and owner != ALWAYS and owner not in eff:
                out.append(("set-cookie", self.flags.expire(cname, https)))
                touched = True
        if ex.session_id is not None and self.config.ids_category in eff:
            out.append(("set-cookie", self.flags.render(self._sid_cookie, ex.session_id, self._session_age, https)))
            if ex.new_visitor:
                out.append(
                    ("set-cookie", self.flags.render(self._vid_cookie, ex.visitor_id or "", self._visitor_age, https))
                )
            touched = True
        out.extend(ex.extra_headers)
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

    def _keep_set_cookie(self, cname: str, eff: frozenset[str]) -> bool:
        owner = self.owners.owner(cname)
        if owner == ALWAYS or (owner is not None and owner in eff):
            return True
        key = cname[:64]
        if owner is not None:
            self.writer.count(today(), "cookie.stripped", f"{key}|{owner}")
            return False
        policy = self.config.undeclared_cookies
        if policy != "allow":
            self.writer.count(today(), f"cookie.undeclared.{'blocked' if policy == 'block' else 'reported'}", key)
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
