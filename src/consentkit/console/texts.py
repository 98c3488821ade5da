"""The console's own words (navigation, headings, labels) in the banner's languages.

Locales are flat JSON files (``console/locales/<lang>.json``) like the banner's: English has every
key; another language may have only some (the navigation and headings), and each key it lacks
falls back to English, so a page is never missing a word. Which languages a site offers is the
banner's business (`banner.texts.available_languages`): the console follows it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from consentkit.banner.i18n import match_language, primary
from consentkit.banner.settings import BannerConfig
from consentkit.banner.texts import available_languages


@cache
def _shipped() -> tuple[str, ...]:
    folder = files("consentkit.console").joinpath("locales")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


@cache
def _locale(lang: str) -> dict[str, str]:
    if lang not in _shipped():
        return {}
    data = json.loads(files("consentkit.console").joinpath("locales", f"{lang}.json").read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"console/locales/{lang}.json must be a flat object of strings")
    return data


@cache
def texts(lang: str) -> dict[str, str]:
    """Every console text in `lang`: English, then the primary language's locale, then the tag's own."""
    out = dict(_locale("en"))
    prim = primary(lang)
    for layer in (prim, lang) if prim != lang else (lang,):
        out.update(_locale(layer))
    return out


def languages(banner: BannerConfig) -> tuple[str, ...]:
    """The languages the console offers: the banner's."""
    return tuple(sorted(available_languages(banner)))


def pick(banner: BannerConfig, lang: str) -> str:
    """`lang` if the banner has it (or its primary language), else the banner's default language."""
    return match_language(lang, frozenset(available_languages(banner))) or banner.default_language


def shipped_languages() -> tuple[str, ...]:
    return _shipped()


LANGUAGE_NAMES = {
    "ar": "العربية", "da": "Dansk", "de": "Deutsch", "en": "English", "es": "Español", "fr": "Français",
    "it": "Italiano", "nl": "Nederlands", "pl": "Polski", "pt": "Português", "sv": "Svenska",
}
"""Each language in its own words, for the language switch (any other tag is shown as itself)."""
