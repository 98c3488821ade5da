"""Live chat within consent: rules decide whether a chat button is offered, consent decides how.

`ChatConfig` (and the provider checks it uses) import eagerly, because `consentkit.config` needs
them; everything else is imported on first use, so that there is no import cycle with the engine.

Public API:
    ChatConfig, BusinessHours, ChatRulesConfig   configuration (`ConsentConfig.chat`)
    VisitorContext                               what a rule sees (only fields in effect)
    Show, Hide, ChatHook, HookResult             hooks: `@engine.chat.rule`
    ChatDecision, Reason                         a decision and why
    chat_html(engine, state_or_exchange, nonce=) the markup, for templates
    inject_html(body, snippet, charset)          the HTML insertion, exposed for adapters
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consentkit.chat.context import VisitorContext
    from consentkit.chat.hooks import ChatHook, Hide, HookRegistry, HookResult, Show
    from consentkit.chat.inject import inject_html
    from consentkit.chat.outcome import ChatDecision, Reason
    from consentkit.chat.service import Chat
    from consentkit.chat.settings import BusinessHours, ChatConfig, ChatRulesConfig
    from consentkit.consent import ConsentState
    from consentkit.engine import Engine
    from consentkit.exchange import Exchange

_LAZY = {
    "BusinessHours": "consentkit.chat.settings",
    "ChatConfig": "consentkit.chat.settings",
    "ChatRulesConfig": "consentkit.chat.settings",
    "VisitorContext": "consentkit.chat.context",
    "ChatDecision": "consentkit.chat.outcome",
    "Chat": "consentkit.chat.service",
    "inject_html": "consentkit.chat.inject",
    "ChatHook": "consentkit.chat.hooks",
    "HookRegistry": "consentkit.chat.hooks",
    "Hide": "consentkit.chat.hooks",
    "HookResult": "consentkit.chat.hooks",
    "Reason": "consentkit.chat.outcome",
    "Show": "consentkit.chat.hooks",
}


def chat_html(
    engine: Engine, state_or_exchange: ConsentState | Exchange, *, nonce: str | None = None, lang: str | None = None
) -> str:
    """The chat for this page, to place in a template just before `</body>` (with `chat.inject = false`).

    `state_or_exchange` is the request's `ConsentState` (`scope["consentkit"]`, `environ["consentkit"]`)
    or its `Exchange`; `nonce` the page's CSP nonce; `lang` the page's language (else the request's
    Accept-Language picks the placeholder's). Returns "" when the chat is not offered. Calling it also
    stops the middleware from inserting the chat into this response.
    """
    return engine.chat.html(state_or_exchange, nonce=nonce, lang=lang)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'consentkit.chat' has no attribute {name!r}")


__all__ = [
    "BusinessHours",
    "Chat",
    "ChatConfig",
    "ChatDecision",
    "ChatHook",
    "ChatRulesConfig",
    "Hide",
    "HookRegistry",
    "HookResult",
    "Reason",
    "Show",
    "VisitorContext",
    "chat_html",
    "inject_html",
]
