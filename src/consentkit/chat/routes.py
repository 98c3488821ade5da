"""The chat's own URLs under the prefix: the single-page-app decision, chat.js and the click count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consentkit.banner.texts import chat_wording
from consentkit.chat.assets import script_reply
from consentkit.chat.outcome import Reason
from consentkit.chat.render import spa_params
from consentkit.collect.ratelimit import rate_key
from consentkit.csrf import refusal
from consentkit.http import VARY, Reply

if TYPE_CHECKING:
    from consentkit.chat.service import Chat
    from consentkit.exchange import Exchange

_VARY = [("vary", VARY)]


def route(chat: Chat, ex: Exchange, sub: str, method: str) -> Reply:
    """GET {prefix}/chat, GET {prefix}/chat.js, POST {prefix}/chat/click (HEAD counts as GET)."""
    req = ex.request
    want = "POST" if sub == "/chat/click" else "GET"
    if method != want:
        reply = Reply.error(405, f"method not allowed; use {want}")
        reply.headers.append(("allow", want))
        return reply
    if sub == "/chat.js":
        version = next((v for k, v in req.query() if k == "v"), None)
        return script_reply(version, req.header("if-none-match") or None)
    if sub == "/chat/click":
        return click(chat, ex)
    return decision(chat, ex)


def decision(chat: Chat, ex: Exchange) -> Reply:
    """`{decision, reasons, provider, params}` for a single-page app; `?path=` is its current route,
    `?lang=` its language (else Accept-Language picks the placeholder's)."""
    if not chat.active:
        body: dict[str, Any] = {"decision": "hide", "provider": None, "params": {},
                                "reasons": [Reason("config", "hide", "chat is not configured").as_dict()]}
        return Reply.json(body, headers=list(_VARY))
    path = next((v for k, v in ex.request.query() if k == "path"), "/").split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//") or len(path) > 1024:
        path = "/"
    made = chat.decide(ex, current_page=False, path=path)
    if made.outcome != "hide":
        chat.count(made)  # the app shows what it is sent
    body = made.as_dict()
    body["provider"] = chat.config.provider
    lang = chat.language(ex, next((v for k, v in ex.request.query() if k == "lang"), None))
    headers = [("vary", VARY + ", Accept-Language")]  # the placeholder's language may come from it
    body["params"] = spa_params(chat.config, chat.prefix, made, chat.grant_for(ex), lang,
                                chat_wording(chat.site, lang))
    return Reply.json(body, headers=headers)


def click(chat: Chat, ex: Exchange) -> Reply:
    """chat.js reports a click on the placeholder: counted (rate-limited per visitor), always 204."""
    req = ex.request
    cfg = chat.site
    refused = refusal(req, cfg.allowed_origins)
    if refused is not None:
        return Reply.error(403, f"cross-site requests are refused: {refused}")
    reply = Reply(204, b"", [("cache-control", "no-store"), *_VARY])
    if not chat.active:
        return reply
    if chat.rate.allow(rate_key(ex, chat.address)):
        chat.writer.tally("chat", "placeholder_clicked")
    return reply
