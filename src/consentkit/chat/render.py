"""The HTML the chat deploys: a JSON config block, then the widget or a consent placeholder.

No inline script runs: the config is `type="application/json"` data, and `chat.js` (an external
file, given the page's CSP nonce) loads the preset widgets, wires the placeholder's button and
instantiates a generic template after consent. Every text is HTML-escaped; the JSON is escaped so
that no value can end the element.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consentkit.banner.i18n import direction
from consentkit.chat import providers
from consentkit.chat.assets import script_url
from consentkit.htmlsafe import escape as _e
from consentkit.htmlsafe import script_json

if TYPE_CHECKING:
    from consentkit.chat.outcome import ChatDecision
    from consentkit.chat.settings import ChatConfig


def snippet(
    cfg: ChatConfig, prefix: str, decision: ChatDecision, *, nonce: str | None, grant: list[str], next_url: str,
    lang: str = "en", wording: tuple[str, str] | None = None,
) -> str:
    """The markup for a "show" or "placeholder" decision ("" for "hide").

    `lang` is the language the placeholder speaks (recorded with the choice it makes), `wording` its
    (text, button) in that language, by default the configured ones.
    """
    if decision.outcome == "hide":
        return ""
    data = {
        "v": 1, "mode": decision.outcome, "provider": cfg.provider, "params": cfg.provider_params(),
        "prechat": decision.prechat, "data": decision.data, "prefix": prefix, "category": cfg.category,
        "grant": grant, "style": cfg.placeholder_style, "lang": lang,
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
    # The form adds the chat's category to the visitor's current choice (read from the choice
    # cookie when it is posted), so a page rendered before a withdrawal cannot grant it back.
    adds = f'<input type="hidden" name="add" value="{_e(cfg.category)}">'
    text, button = wording or (cfg.placeholder_text, cfg.placeholder_button)
    placeholder = (
        f'<div id="consentkit-chat-ph" class="ck-chat-ph" role="region" aria-label="{_e(button)}"'
        f' lang="{_e(lang)}" dir="{direction(lang)}">'
        f'<form method="post" action="{_e(prefix)}" class="ck-chat-form">{adds}'
        f'<input type="hidden" name="next" value="{_e(next_url)}">'
        f'<input type="hidden" name="lang" value="{_e(lang)}">'
        f'<p class="ck-chat-text">{_e(text)}</p>'
        f'<button type="submit" class="ck-chat-btn">{_e(button)}</button></form></div>'
    )
    template = f'<template id="consentkit-chat-tpl">{generic}</template>' if generic else ""
    return placeholder + template + block + loader


def spa_params(
    cfg: ChatConfig, prefix: str, decision: ChatDecision, grant: list[str],
    lang: str = "en", wording: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """What a single-page app needs to load the widget, or to offer the placeholder (in `lang`)."""
    if decision.outcome == "hide":
        return {}
    out: dict[str, Any] = {**cfg.provider_params(), "prechat": decision.prechat, "data": decision.data,
                           "script": script_url(prefix)}
    if decision.outcome == "placeholder":
        text, button = wording or (cfg.placeholder_text, cfg.placeholder_button)
        out.update(category=cfg.category, grant=grant, text=text, button=button, lang=lang, dir=direction(lang))
    return out
