"""consentkit's own HTTP endpoints, framework-free: a RequestView and body in, a Reply out."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from consentkit import guard
from consentkit.bodies import BadBody, ChoiceRequest, parse_choice, safe_next
from consentkit.chat.routes import route as chat_route
from consentkit.consent import Choice, ConsentState, new_id
from consentkit.csrf import refusal
from consentkit.http import VARY, CookieSpec, Reply, RequestView
from consentkit.ledger import LedgerDraft
from consentkit.policy import decide
from consentkit.regioncache import regional_headers

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange

POST_PATHS = ("", "/beacon")
NOSNIFF = ("x-content-type-options", "nosniff")
"""On every reply of consentkit's own: JSON replies quote the request's path, which no browser may
take for script or markup."""


def needs_body(engine: Engine, request: RequestView) -> bool:
    return request.method == "POST" and request.path[len(engine.prefix):] in POST_PATHS


def handle(engine: Engine, ex: Exchange, body: bytes) -> Reply:
    """Answer a request under the prefix (or /.well-known/gpc.json). Never raises: a failure of
    consentkit's own is logged, counted (`core.failed`) and answered with a 500 that sets nothing."""
    reply = Reply.error(500, "consentkit could not answer this request")
    with guard.contained(engine.writer, "endpoint"):
        reply = _answer(engine, ex, body)
        if ex.located and any(name == "vary" for name, _ in reply.headers):  # consent-dependent
            regional_headers(engine, ex, reply.headers)
    return own_reply(reply)


def own_reply(reply: Reply) -> Reply:
    """`reply` with the headers every reply of consentkit's own endpoints carries."""
    if not any(name == NOSNIFF[0] for name, _ in reply.headers):  # the assets carry it already
        reply.headers.append(NOSNIFF)
    return reply


def too_large(engine: Engine) -> Reply:
    """The reply to a body over `max_body_bytes`, which the adapters refuse before reading it all."""
    return own_reply(Reply.error(413, f"body larger than {engine.config.max_body_bytes} bytes"))


def serve(engine: Engine, ex: Exchange, body: bytes | None) -> Reply:
    """The whole answer to a request for consentkit's own URLs, for every adapter: `body` is the
    request body (b"" unless `needs_body`), or None when it was over `max_body_bytes`. A HEAD
    reply keeps its Content-Length and loses its body. Never raises."""
    reply = too_large(engine) if body is None else handle(engine, ex, body)
    if reply.status not in (204, 304) and not any(name == "content-length" for name, _ in reply.headers):
        reply.headers.append(("content-length", str(len(reply.body))))
    if ex.request.method == "HEAD":
        reply.body = b""
    return reply


def reply_headers(engine: Engine, ex: Exchange, reply: Reply) -> list[tuple[str, str]]:
    """A reply's headers with its cookies as Set-Cookie headers (ASGI, WSGI)."""
    https = ex.request.secure
    return [*reply.headers, *(("set-cookie", engine.flags.header(c, https)) for c in reply.cookies)]


def _answer(engine: Engine, ex: Exchange, body: bytes) -> Reply:
    req = ex.request
    if req.path == "/.well-known/gpc.json":
        return _gpc(engine, req)
    sub = req.path[len(engine.prefix):]
    method = "GET" if req.method == "HEAD" else req.method
    try:
        if sub == "":
            if method != "POST":
                return _not_allowed("POST")
            return choose(engine, ex, body)
        if sub == "/state":
            return state_reply(engine, ex.state) if method == "GET" else _not_allowed("GET")
        if sub in ("/banner.js", "/banner.css"):
            if method != "GET":
                return _not_allowed("GET")
            from consentkit.banner.assets import asset_reply

            version = next((v for k, v in req.query() if k == "v"), None)
            found = asset_reply(sub[1:], version, req.header("if-none-match") or None)
            return found or Reply.error(404, "not found")
        if sub in ("/chat", "/chat.js", "/chat/click"):
            return chat_route(engine.chat, ex, sub, method)
        if engine.collector is not None and sub in ("/beacon", "/pixel.gif"):
            if sub == "/beacon":
                return engine.collector.beacon(ex, body) if method == "POST" else _not_allowed("POST")
            return engine.collector.pixel(ex) if method == "GET" else _not_allowed("GET")
    except BadBody as exc:
        return Reply.error(exc.status, str(exc))
    return Reply.error(404, f"no consentkit endpoint at {req.path[:200]!r}")


def _not_allowed(allow: str) -> Reply:
    reply = Reply.error(405, f"method not allowed; use {allow}")
    reply.headers.append(("allow", allow))
    return reply


def _gpc(engine: Engine, req: RequestView) -> Reply:
    if req.method not in ("GET", "HEAD"):
        return _not_allowed("GET")
    honoured = bool(engine.config.gpc_denies) or (engine.regional is not None and engine.regional.honours_gpc)
    if not honoured:
        return Reply.error(404, "this site does not honour Global Privacy Control")
    last = engine.config.signals.gpc_last_update.isoformat()
    reply = Reply.json({"gpc": True, "lastUpdate": last})
    reply.headers[1] = ("cache-control", "public, max-age=86400")
    return reply


def state_body(engine: Engine, state: ConsentState) -> dict[str, Any]:
    body = state.as_dict()
    body["override_allowed"] = engine.config.signals.explicit_optin_overrides
    body["categories"] = [
        {
            "key": c.key, "title": c.title, "description": c.description, "required": c.required,
            "lawful_basis": c.lawful_basis, "cookies": list(c.cookies),
        }
        for c in engine.config.categories
    ]
    return body


def state_reply(engine: Engine, state: ConsentState) -> Reply:
    return Reply.json(state_body(engine, state), headers=[("vary", VARY)])


def choose(engine: Engine, ex: Exchange, body: bytes) -> Reply:
    """Record a choice: ledger first (durable), then the cookie, then the new state."""
    req = ex.request
    cfg = engine.config
    refused = refusal(req, cfg.allowed_origins)
    if refused is not None:
        return Reply.error(403, f"cross-site consent changes are refused: {refused}")
    parsed = parse_choice(req.header("content-type"), body, cfg.category_keys)
    granted = _granted(engine, parsed, ex.state.granted)
    previous = ex.state.choice
    choice = Choice(
        previous.consent_id if previous else new_id(), granted, cfg.policy_version, time.time(), ex.state.signals
    )
    draft = LedgerDraft(
        ts=choice.decided_at,
        consent_id=choice.consent_id,
        granted=tuple(sorted(granted)),
        denied=tuple(sorted(cfg.optional - granted)),
        policy_version=cfg.policy_version,
        shown_hash=engine_shown_hash(engine, parsed.lang, ex.state),
        dnt=ex.state.signals.dnt,
        gpc=ex.state.signals.gpc,
        source=parsed.source,
        ip=_ledger_ip(engine, req),
        ua_hash=hashlib.sha256(req.header("user-agent")[:2048].encode()).hexdigest()[:32] or None,
        regime=ex.effective.regime,
    )
    try:
        engine.store.append_ledger(draft)
    except Exception:  # noqa: BLE001 - the choice is not acknowledged unless it is durable
        engine_log_failure()
        return Reply.error(503, "your choice could not be recorded; nothing was changed, please try again")
    engine.counters.choice(ex.state, granted, req.cookies.get(cfg.cookies.choice_name, ""))
    value = engine.codec.encode(choice)
    choice = engine.codec.decode(value) or choice  # carries the signer's own timestamp
    eff = decide(choice.granted, ex.state.signals, engine.rules_of(ex.effective), choice.signals)
    new_state = ConsentState(eff, ex.state.signals, choice, cfg.policy_version)
    if cfg.ids_category not in eff.categories:
        ex.session_id = ex.visitor_id = None
    if parsed.form:
        reply = Reply(303, b"", [("location", safe_next(parsed.next_url)), ("cache-control", "no-store")])
    else:
        reply = Reply.json(state_body(engine, new_state))
    choice_name = cfg.cookies.choice_name
    plan = engine.cookie_plan(ex, [choice_name], eff)
    reply.cookies = [CookieSpec(choice_name, value, cfg.cookies.choice_days * 86400), *plan.add]
    reply.headers.append(("vary", VARY))
    return reply


def _granted(engine: Engine, parsed: ChoiceRequest, current: frozenset[str]) -> frozenset[str]:
    """The categories the new choice grants. `current` is what the request's valid choice cookie
    grants (nothing without one: defaults are not a choice), the base of an "add"."""
    cfg = engine.config
    if parsed.action == "accept_all":
        return cfg.optional
    if parsed.action == "reject_all":
        return frozenset()
    if parsed.action == "add":
        return (current | frozenset(parsed.grant)) & cfg.optional
    return frozenset(parsed.grant) & cfg.optional


def _ledger_ip(engine: Engine, req: RequestView) -> str | None:
    from consentkit.collect.ip import mask_ip

    ip = engine.client_address.of(req)
    if ip is None:
        return None
    col = engine.config.collection
    return mask_ip(ip, "truncated", col.ipv4_prefix, col.ipv6_prefix)


def engine_shown_hash(engine: Engine, lang: str | None, state: ConsentState | None = None) -> str:
    regime = state._effective.regime if state is not None else None
    return engine.shown_hash(lang, regime)


def engine_log_failure() -> None:

    logging.getLogger("consentkit").exception("consentkit: could not record a consent choice")
