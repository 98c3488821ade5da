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


def shipped_wording(texts: dict[str, str], key: str, configured: str) -> str:
    """`texts[key]` where `configured` is the shipped English text of `key` (a default the site left
    as it is, so the shipped translation applies), else the site's own `configured` text."""
    return texts[key] if configured == shipped_texts("en").get(key) else configured


def category_text(
    banner: BannerConfig, lang: str, category: Category, texts: dict[str, str] | None = None
) -> tuple[str, str]:
    """(title, description) of a category in `lang`: the site's `category_texts` for it, else the
    configured ones, translated where they are a default category's shipped English.

    `texts` is `texts_in(banner, lang)` when the caller has it already.
    """
    for layer in (lang, primary(lang)):
        found = banner.category_texts.get(layer, {}).get(category.key)
        if found is not None:
            return found.title, found.description
    texts = texts_in(banner, lang) if texts is None else texts
    key = f"{CATEGORY_PREFIX}{category.key}."
    return (shipped_wording(texts, key + "title", category.title),
            shipped_wording(texts, key + "description", category.description))


def chat_wording(config: ConsentConfig, lang: str, texts: dict[str, str] | None = None) -> tuple[str, str]:
    """(text, button) of the chat placeholder in `lang` (an available language); the site's own
    `chat.placeholder_text` / `placeholder_button` win over the shipped translations."""
    texts = texts_in(config.banner, lang) if texts is None else texts
    chat = config.chat
    return (shipped_wording(texts, "chat_text", chat.placeholder_text),
            shipped_wording(texts, "chat_button", chat.placeholder_button))


def texts_for(config: ConsentConfig, lang: str | None) -> dict[str, str]:
    """Everything the banner and the chat placeholder show in the language `lang` resolves to.

    Used to fingerprint what a visitor was shown when they chose: the shipped texts of categories
    the site does not have, or of a placeholder it does not show, are left out.
    """
    banner = config.banner
    picked = pick_language(banner, lang)
    texts = texts_in(banner, picked)
    out = {k: v for k, v in texts.items() if not k.startswith(CATEGORY_PREFIX) and not k.startswith("chat_")}
    for cat in config.categories:
        title, description = category_text(banner, picked, cat, texts)
        out[f"category.{cat.key}.title"] = title
        out[f"category.{cat.key}.description"] = description
    if config.chat.active and config.chat.placeholder:
        out["chat_text"], out["chat_button"] = chat_wording(config, picked, texts)
    out["lang"] = picked
    return out
