"""The banner's texts for a site: its languages and overrides over the shipped locales."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consentkit.banner.i18n import (
    CATEGORY_PREFIX,
    match_language,
    parse_accept_language,
    primary,
    shipped_languages,
    shipped_texts,
)
from consentkit.ledger import shown_hash

if TYPE_CHECKING:
    from consentkit.banner.settings import BannerConfig
    from consentkit.config import Category, ConsentConfig


def available_languages(banner: BannerConfig) -> frozenset[str]:
    return frozenset(shipped_languages()) | frozenset(banner.texts)


def pick_language(banner: BannerConfig, lang: str | None = None, accept_language: str = "") -> str:
    """The page's `lang` if we have texts for it, else the best Accept-Language match, else the default."""
    available = available_languages(banner)
    candidates = ([lang] if lang else []) + parse_accept_language(accept_language or "")
    for tag in candidates:
        found = match_language(tag, available)
        if found is not None:
            return found
    return banner.default_language


def texts_in(banner: BannerConfig, lang: str) -> dict[str, str]:
    """Every text key for `lang` (an available language): English, then the locale, then overrides."""
    out = dict(shipped_texts("en"))
    prim = primary(lang)
    for layer in (prim, lang) if prim != lang else (lang,):
        if layer in shipped_languages():
            out.update(shipped_texts(layer))
        out.update(banner.texts.get(layer, {}))
    return out


def text_in(banner: BannerConfig, lang: str, key: str) -> str:
    """`texts_in(banner, lang)[key]`, without building the whole set."""
    prim = primary(lang)
    for layer in (lang, prim) if prim != lang else (lang,):
        own = banner.texts.get(layer)
        if own is not None and key in own:
            return own[key]
        if layer in shipped_languages():
            return shipped_texts(layer)[key]
    return shipped_texts("en")[key]


def shipped_wording(banner: BannerConfig, lang: str, key: str, configured: str) -> str:
    """The text of `key` in `lang` where `configured` is its shipped English text (a default the site
    left as it is, so the shipped translation applies), else the site's own `configured` text."""
    return text_in(banner, lang, key) if configured == shipped_texts("en").get(key) else configured


def category_text(banner: BannerConfig, lang: str, category: Category) -> tuple[str, str]:
    """(title, description) of a category in `lang`: the site's `category_texts` for it, else the
    configured ones, translated where they are a default category's shipped English."""
    for layer in (lang, primary(lang)):
        found = banner.category_texts.get(layer, {}).get(category.key)
        if found is not None:
            return found.title, found.description
    key = f"{CATEGORY_PREFIX}{category.key}."
    return (shipped_wording(banner, lang, key + "title", category.title),
            shipped_wording(banner, lang, key + "description", category.description))


def chat_wording(config: ConsentConfig, lang: str) -> tuple[str, str]:
    """(text, button) of the chat placeholder in `lang` (an available language); the site's own
    `chat.placeholder_text` / `placeholder_button` win over the shipped translations."""
    chat = config.chat
    return (shipped_wording(config.banner, lang, "chat_text", chat.placeholder_text),
            shipped_wording(config.banner, lang, "chat_button", chat.placeholder_button))


def texts_for(config: ConsentConfig, lang: str | None, regime: str | None = None) -> dict[str, str]:
    """Everything the banner and the chat placeholder show in the language `lang` resolves to, to a
    visitor under the regional regime named `regime` (None: the site's opt-in banner).

    Used to fingerprint what a visitor was shown when they chose: the shipped texts of categories
    the site does not have, of a placeholder it does not show, or of another regime's variant are
    left out.
    """
    from consentkit.banner.regime import ALL_VARIANT_TEXTS, VARIANT_TEXTS, regime_named, with_regime_texts

    banner = config.banner
    picked = pick_language(banner, lang)
    found = regime_named(config, regime)
    shown = with_regime_texts(found, picked, texts_in(banner, picked)).items()
    other = ALL_VARIANT_TEXTS - VARIANT_TEXTS.get(found.mode if found is not None else "opt_in", frozenset())
    out = {k: v for k, v in shown
           if not k.startswith(CATEGORY_PREFIX) and not k.startswith("chat_") and k not in other}
    for cat in config.categories:
        title, description = category_text(banner, picked, cat)
        out[f"category.{cat.key}.title"] = title
        out[f"category.{cat.key}.description"] = description
    if config.chat.active and config.chat.placeholder:
        out["chat_text"], out["chat_button"] = chat_wording(config, picked)
    out["lang"] = picked
    return out


def shown_fingerprint(config: ConsentConfig, lang: str | None, regime: str | None = None) -> str:
    """The ledger's `shown_hash` of a choice made in `lang` (the tag the banner sent) under `config`,
    by a visitor under the regional regime named `regime` (None: the site's opt-in banner)."""
    cats = [(c.key, c.title, c.description, c.cookies, c.required) for c in config.categories]
    return shown_hash(config.policy_version, cats, texts_for(config, lang, regime), lang)
