"""Server-rendered banner HTML: works without JavaScript, enhanced by banner.js when it loads.

Every configured or translated text goes through `html.escape`; page data for the script is a JSON
block with `<`, `>` and `&` escaped, so no configuration value can open or close a tag.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from consentkit.banner import i18n
from consentkit.banner.assets import asset_url
from consentkit.banner.regime import consent_mode_calls, mode_of, optout_icon, regime_named, with_regime_texts
from consentkit.banner.texts import category_text, pick_language, texts_in
from consentkit.bodies import safe_next
from consentkit.config import Category, ConsentConfig
from consentkit.consent import ConsentState
from consentkit.htmlsafe import escape as _e
from consentkit.htmlsafe import script_json

_COLOR_VARS = {
    "background": "bg", "text": "fg", "accent": "ac", "accent_text": "at", "border": "bd", "focus": "fo",
}
_JS_TEXTS = ("saved", "save_error", "embed_text", "embed_load")


def _nonce(nonce: str | None) -> str:
    return f' nonce="{_e(nonce)}"' if nonce else ""


def assets_html(config: ConsentConfig, *, nonce: str | None = None) -> str:
    """The stylesheet and the deferred script, with versioned URLs; put it in <head>."""
    if not config.banner.enabled:
        return ""
    css = _e(asset_url(config.prefix, "banner.css"))
    js = _e(asset_url(config.prefix, "banner.js"))
    return f'<link rel="stylesheet" href="{css}"><script defer src="{js}"{_nonce(nonce)}></script>'


def consent_mode_state(config: ConsentConfig, effective: frozenset[str]) -> dict[str, str]:
    """Google Consent Mode values: a type is granted only when all its categories are in effect."""
    return {
        kind: "granted" if all(c in effective for c in cats) else "denied"
        for kind, cats in sorted(config.banner.consent_mode.items())
    }


def consent_default_html(config: ConsentConfig, state: ConsentState, *, nonce: str | None = None) -> str:
    """The inline `gtag('consent','default',…)` call; must come before any tag that reads consent."""
    if not config.banner.consent_mode:
        return ""
    values: dict[str, Any] = consent_mode_state(config, state.effective)
    if config.regions is not None:  # a default per region, then this visitor's own values if they differ
        calls = consent_mode_calls(config, values, lambda eff: consent_mode_state(config, eff))
        if not (state.choice_made or state.denied_by_signal):
            calls.pop()
        body = "".join(f'window.gtag("consent","{kind}",{script_json(v)});' for kind, v in calls)
    else:
        values["wait_for_update"] = config.banner.consent_mode_wait_ms
        body = f'window.gtag("consent","default",{script_json(values)});'
    return (
        f"<script{_nonce(nonce)}>window.dataLayer=window.dataLayer||[];"
        "window.gtag=window.gtag||function(){window.dataLayer.push(arguments)};"
        f"{body}</script>"
    )


def _state_data(config: ConsentConfig, state: ConsentState) -> dict[str, Any]:
    data = state.as_dict()
    data["override_allowed"] = config.signals.explicit_optin_overrides
    data["categories"] = [
        {"key": c.key, "title": c.title, "description": c.description, "required": c.required,
         "lawful_basis": c.lawful_basis, "cookies": list(c.cookies)}
        for c in config.categories
    ]
    return data


def _page_config(config: ConsentConfig, state: ConsentState, lang: str, texts: dict[str, str]) -> str:
    banner = config.banner
    colors = {f"l-{_COLOR_VARS[k]}": v for k, v in banner.colors.model_dump(exclude_none=True).items()}
    colors |= {f"d-{_COLOR_VARS[k]}": v for k, v in banner.dark_colors.model_dump(exclude_none=True).items()}
    data: dict[str, Any] = {
        "prefix": config.prefix,
        "lang": lang,
        "measure": config.ids_category,
        "state": _state_data(config, state),
        "gtag": {k: list(v) for k, v in banner.consent_mode.items()} or None,
        "colors": colors,
        "texts": {k: texts[k] for k in _JS_TEXTS},
        "titles": {c.key: category_text(banner, lang, c)[0] for c in config.categories},
    }
    if mode_of(config, state) != "opt_in":  # switches show what is in effect before a choice; a dismissable notice
        data["preset"] = True
    return f'<script type="application/json" id="consentkit-config">{script_json(data)}</script>'


def _signal_notice(config: ConsentConfig, state: ConsentState, texts: dict[str, str]) -> str:
    if not state.denied_by_signal:
        return ""
    lines = []
    if state.signals.gpc and mode_of(config, state) == "opt_out":
        lines.append(texts["gpc_optout_notice"])
    elif state.signals.gpc and config.gpc_denies:
        lines.append(texts["gpc_notice"])
    if state.signals.dnt and config.dnt_denies:
        lines.append(texts["dnt_notice"])
    if config.signals.explicit_optin_overrides:
        lines.append(texts["signal_override"])
    return f'<p class="ck-signal">{_e(" ".join(lines))}</p>' if lines else ""


def _buttons(texts: dict[str, str], *, first: str = "", last: str = "") -> str:
    """The equal-weight choices: same element, same class, same size."""
    out = [first] + [
        f'<button type="submit" class="ck-btn" name="action" value="{a}">{_e(texts[a])}</button>'
        for a in ("accept_all", "reject_all")
    ] + [last]
    return f'<div class="ck-actions">{"".join(out)}</div>'


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{_e(name)}" value="{_e(value)}">'


def _first_layer(
    config: ConsentConfig, state: ConsentState, texts: dict[str, str], lang: str, nxt: str, notice: str
) -> str:
    mode = mode_of(config, state)
    if mode != "opt_in":
        return _notice_layer(config, state, texts, notice, mode)
    banner = config.banner
    modal = banner.layout == "modal"
    wrap_cls = "ck-wrap ck-l1 ck-modal" if modal else "ck-wrap ck-l1"
    aria_modal = ' aria-modal="true"' if modal else ""
    hidden = " hidden" if state.choice_made else ""
    # "Choose" submits the GET form below: without JavaScript it reloads this page at #ck-l2.
    choose = f'<button type="submit" class="ck-btn" form="ck-go">{_e(texts["choose"])}</button>'
    logo = f'<img class="ck-logo" src="{_e(banner.logo_url)}" alt="">' if banner.logo_url else ""
    privacy = ""
    if banner.privacy_url:
        privacy = f' <a href="{_e(banner.privacy_url)}">{_e(texts["privacy_policy"])}</a>'
    path, _, query = nxt.partition("?")  # `safe_next` made it a same-site path
    go_inputs = "".join(_hidden(k, v) for k, v in parse_qsl(query, keep_blank_values=True)[:32])
    return (
        f'<div id="ck-l1" class="{wrap_cls}"{hidden}>'
        f'<div class="ck-panel" role="dialog"{aria_modal} tabindex="-1"'
        ' aria-labelledby="ck-l1-title" aria-describedby="ck-l1-desc">'
        f'{logo}<h2 id="ck-l1-title" class="ck-title">{_e(texts["title"])}</h2>'
        f'<p id="ck-l1-desc">{_e(texts["intro"])}{privacy}</p>{notice}'
        f'<form method="post" action="{_e(config.prefix)}" class="ck-form">'
        f'{_hidden("next", nxt)}{_hidden("lang", lang)}{_buttons(texts, last=choose)}</form>'
        f'<form id="ck-go" method="get" action="{_e(path or "/")}#ck-l2">{go_inputs}</form>'
        "</div></div>"
    )


def _notice_layer(
    config: ConsentConfig, state: ConsentState, texts: dict[str, str], notice: str, mode: str
) -> str:
    """The first layer of an opt_out or notice regime: a notice, never modal, that the visitor may
    dismiss (banner.js); its link or button opens the choices (the second layer)."""
    banner = config.banner
    hidden = " hidden" if state.choice_made else ""
    privacy = ""
    if banner.privacy_url:
        privacy = f' <a href="{_e(banner.privacy_url)}">{_e(texts["privacy_policy"])}</a>'
    if mode == "opt_out":
        intro = texts["optout_intro"]
        opener = (f'<a href="#ck-l2" class="ck-optout" data-consentkit-open>{optout_icon(config)}'
                  f'<span>{_e(texts["optout_link"])}</span></a>')
    else:
        intro = texts["notice_intro"]
        opener = f'<a href="#ck-l2" class="ck-btn" data-consentkit-open>{_e(texts["choose"])}</a>'
    dismiss = f'<button type="button" class="ck-btn ck-dismiss">{_e(texts["dismiss"])}</button>'
    return (
        f'<div id="ck-l1" class="ck-wrap ck-l1 ck-notice" data-mode="{mode}"{hidden}>'
        '<div class="ck-panel" role="dialog" tabindex="-1" aria-labelledby="ck-l1-title" aria-describedby="ck-l1-desc">'
        f'<h2 id="ck-l1-title" class="ck-title">{_e(texts["title"])}</h2>'
        f'<p id="ck-l1-desc">{_e(intro)}{privacy}</p>{notice}'
        f'<div class="ck-actions">{opener}{dismiss}</div>'
        "</div></div>"
    )


def _category(
    config: ConsentConfig, state: ConsentState, cat: Category, texts: dict[str, str], lang: str
) -> str:
    title, description = category_text(config.banner, lang, cat)
    cid = f"ck-c-{cat.key}"
    checked = disabled = False
    note = extra = ""
    if cat.required:
        checked = disabled = True
        note = texts["always_on"]
        extra = _hidden("grant", cat.key)
    elif cat.key in state.denied_by_signal and not config.signals.explicit_optin_overrides:
        disabled = True
        note = texts["off_by_signal"]
    elif not state.choice_made and mode_of(config, state) != "opt_in":  # in effect until they opt out
        checked = cat.key in state._effective.categories
    else:
        checked = state.choice_made and cat.key in state.granted
    described = f"ck-n-{cat.key} ck-d-{cat.key}" if note else f"ck-d-{cat.key}"
    note_html = f'<span id="ck-n-{cat.key}" class="ck-small">{_e(note)}</span>' if note else ""
    cookies = ""
    if cat.cookies:
        names = ", ".join(f'<code dir="ltr">{_e(c)}</code>' for c in cat.cookies)
        cookies = f'<p class="ck-small">{_e(texts["cookies"])} {names}</p>'
    return (
        f'<li class="ck-cat"><div class="ck-row">'
        f'<input type="checkbox" class="ck-sw" id="{cid}" name="grant" value="{_e(cat.key)}"'
        f' aria-describedby="{described}"{" checked" if checked else ""}{" disabled" if disabled else ""}>'
        f'<label for="{cid}" class="ck-label">{_e(title)}</label>'
        f'{note_html}{extra}</div>'
        f'<p id="ck-d-{cat.key}" dir="auto">{_e(description)}</p>{cookies}</li>'
    )


def _second_layer(
    config: ConsentConfig, state: ConsentState, texts: dict[str, str], lang: str, nxt: str, notice: str
) -> str:
    cats = "".join(_category(config, state, c, texts, lang) for c in config.categories)
    save = f'<button type="submit" class="ck-btn" name="action" value="choose">{_e(texts["save"])}</button>'
    return (
        '<div id="ck-l2" class="ck-wrap ck-l2 ck-modal">'
        '<div class="ck-panel" role="dialog" aria-modal="true" tabindex="-1"'
        ' aria-labelledby="ck-l2-title" aria-describedby="ck-l2-desc">'
        f'<h2 id="ck-l2-title" class="ck-title">{_e(texts["settings_title"])}</h2>'
        f'<p id="ck-l2-desc">{_e(texts["settings_intro"])}</p>{notice}'
        f'<form method="post" action="{_e(config.prefix)}" class="ck-form">'
        f'{_hidden("next", nxt)}{_hidden("lang", lang)}<ul class="ck-cats">{cats}</ul>'
        f'{_buttons(texts, first=save)}'
        f'<a href="#" class="ck-back">{_e(texts["back"])}</a></form>'
        "</div></div>"
    )


def _floating_button(config: ConsentConfig, state: ConsentState, texts: dict[str, str]) -> str:
    if config.banner.settings_button != "floating":
        return ""
    hidden = "" if state.choice_made else " hidden"
    if mode_of(config, state) == "opt_out":  # the opt-out link stays within reach on every page
        return (f'<a href="#ck-l2" class="ck-fab ck-optout" data-consentkit-open{hidden}>{optout_icon(config)}'
                f'<span>{_e(texts["optout_link"])}</span></a>')
    return f'<a href="#ck-l2" class="ck-fab" data-consentkit-open{hidden}>{_e(texts["settings_button"])}</a>'


def settings_link_html(
    config: ConsentConfig, *, lang: str | None = None, accept_language: str = "", state: ConsentState | None = None
) -> str:
    """A plain "Privacy settings" link to put in the footer (for `settings_button = "link"`); with
    the request's `state`, under an opt_out regime the opt-out link and its icon instead."""
    if not config.banner.enabled:
        return ""
    picked = pick_language(config.banner, lang, accept_language)
    regime = regime_named(config, state._effective.regime) if state is not None else None
    texts = with_regime_texts(regime, picked, texts_in(config.banner, picked))
    if regime is not None and regime.mode == "opt_out":
        return (f'<a href="#ck-l2" class="ck-open-link ck-optout" data-consentkit-open>{optout_icon(config)}'
                f'<span>{_e(texts["optout_link"])}</span></a>')
    return f'<a href="#ck-l2" class="ck-open-link" data-consentkit-open>{_e(texts["settings_button"])}</a>'


def banner_html(
    config: ConsentConfig,
    state: ConsentState,
    *,
    lang: str | None = None,
    accept_language: str = "",
    nonce: str | None = None,
    next_url: str = "/",
    pixel: bool = False,
    gtag_default: bool = True,
) -> str:
    """The banner for one page; put it first in <body>, before any other script.

    `lang` is the page's language, `accept_language` the request header, `nonce` the page's CSP
    nonce, `next_url` the current path (and query) the no-JavaScript forms return to, `pixel` adds a
    <noscript> counting pixel. Set `gtag_default=False` if `consent_default_html` is already in <head>.
    With the state of a request the middleware served, a render for a visitor without a valid
    choice counts one banner impression (`consent.impressions`, per day, policy version, language).
    """
    banner = config.banner
    if not banner.enabled:
        return ""
    picked = pick_language(banner, lang, accept_language)
    if state._counters is not None:  # the engine's state: an impression unless a choice is made
        state._counters.impression(state, picked)
    texts = with_regime_texts(regime_named(config, state._effective.regime), picked, texts_in(banner, picked))
    nxt = safe_next(next_url.split("#", 1)[0])
    notice = _signal_notice(config, state, texts)
    out = [
        consent_default_html(config, state, nonce=nonce) if gtag_default else "",
        _page_config(config, state, picked, texts),
        f'<div id="consentkit-banner" class="ck ck-{banner.layout}" lang="{_e(picked)}"'
        f' dir="{i18n.direction(picked)}">',
        _second_layer(config, state, texts, picked, nxt, notice),
        _first_layer(config, state, texts, picked, nxt, notice),
        # The dock lays out the floating button, the status notice and (moved in by chat.js) the
        # chat placeholder side by side or stacked, so none covers another; banner.js lifts it
        # above a bottom first layer.
        '<div class="ck-dock">',
        _floating_button(config, state, texts),
        '<div class="ck-dock-end"><p class="ck-status" role="status" aria-live="polite"></p></div></div></div>',
    ]
    if pixel:
        # `nxt` is percent-encoded already (`safe_next`): its escapes stay, so `p` decodes to the path.
        src = f"{config.prefix}/pixel.gif?p={quote(nxt.partition('?')[0], safe='/%')}"
        out.append(f'<noscript><img src="{_e(src)}" alt="" width="1" height="1"></noscript>')
    return "".join(out)
