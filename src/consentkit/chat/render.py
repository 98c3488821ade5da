"""The HTML the chat deploys: a JSON config block, then the widget or a consent placeholder.

No inline script runs: the config is `type="application/json"` data, and `chat.js` (an external
file, given the page's CSP nonce) loads the preset widgets, wires the placeholder's button and
instantiates a generic template after consent. Every text is HTML-escaped; the JSON is escaped so
that no value can end the element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consentkit.chat import providers
from consentkit.chat.assets import script_url
from consentkit.htmlsafe import escape as _e
from consentkit.htmlsafe import script_json

if TYPE_CHECKING:
    from consentkit.chat.outcome import ChatDecision
    from consentkit.chat.settings import ChatConfig


def snippet(
    cfg: ChatConfig, prefix: str, decision: ChatDecision, *, nonce: str | None, grant: list[str], next_url: str
) -> str:
    """The markup for a "show" or "placeholder" decision ("" for "hide")."""
    if decision.outcome == "hide":
        return ""
    data = {
        "v": 1, "mode": decision.outcome, "provider": cfg.provider, "params": cfg.provider_params(),
        "prechat": decision.prechat, "data": decision.data, "prefix": prefix, "category": cfg.category,
        "grant": grant, "style": cfg.placeholder_style,
    }
    block = f'<script type="application/json" id="consentkit-chat">{script_json(data)}</script>'
    nonce_attr = f' nonce="{_e(nonce)}"' if nonce else ""
    loader = f'<script src="{_e(script_url(prefix))}" async{nonce_attr}></script>'
    generic = ""
    if cfg.provider == "generic":
        values = {"site_id": cfg.site_id, "widget_id": cfg.widget_id, "base_url": cfg.base_url,
                  "nonce": nonce or "", "prefix": prefix}
        generic = providers.render(cfg.template, values)
    if decision.outcome == "show":
        return block + (generic if cfg.provider == "generic" else loader)
    grants = "".join(f'<input type="hidden" name="grant" value="{_e(c)}">' for c in grant)
    placeholder = (
        f'<div id="consentkit-chat-ph" class="ck-chat-ph" role="region" aria-label="{_e(cfg.placeholder_button)}">'
        f'<form method="post" action="{_e(prefix)}" class="ck-chat-form">{grants}'
        f'<input type="hidden" name="next" value="{_e(next_url)}">'
        f'<p class="ck-chat-text">{_e(cfg.placeholder_text)}</p>'
        f'<button type="submit" class="ck-chat-btn">{_e(cfg.placeholder_button)}</button></form></div>'
    )
    template = f'<template id="consentkit-chat-tpl">{generic}</template>' if generic else ""
    return placeholder + template + block + loader


def spa_params(cfg: ChatConfig, prefix: str, decision: ChatDecision, grant: list[str]) -> dict[str, Any]:
    """What a single-page app needs to load the widget, or to offer the placeholder."""
    if decision.outcome == "hide":
        return {}
    out: dict[str, Any] = {**cfg.provider_params(), "prechat": decision.prechat, "data": decision.data,
                           "script": script_url(prefix)}
    if decision.outcome == "placeholder":
        out.update(category=cfg.category, grant=grant, text=cfg.placeholder_text, button=cfg.placeholder_button)
    return out
