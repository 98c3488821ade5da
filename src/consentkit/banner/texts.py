"""The banner's texts for a site: its languages and overrides over the shipped locales."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consentkit.banner.i18n import match_language, parse_accept_language, primary, shipped_languages, shipped_texts

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


def category_text(banner: BannerConfig, lang: str, category: Category) -> tuple[str, str]:
    """(title, description) of a category in `lang`, falling back to the configured ones."""
    for layer in (lang, primary(lang)):
        found = banner.category_texts.get(layer, {}).get(category.key)
        if found is not None:
            return found.title, found.description
    return category.title, category.description


def texts_for(config: ConsentConfig, lang: str | None) -> dict[str, str]:
    """Everything the banner shows in the language `lang` resolves to, category texts included.

    Used to fingerprint what a visitor was shown when they chose.
    """
    banner = config.banner
    picked = pick_language(banner, lang)
    out = texts_in(banner, picked)
    for cat in config.categories:
        title, description = category_text(banner, picked, cat)
        out[f"category.{cat.key}.title"] = title
        out[f"category.{cat.key}.description"] = description
    out["lang"] = picked
    return out
