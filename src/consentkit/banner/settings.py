"""Configuration of the consent banner: texts, languages, layout, look.

Everything is checked when the configuration is built; each error names the offending key.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from consentkit.banner import i18n
from consentkit.strict import CategoryKey, Strict

GtagType = Literal[
    "ad_storage", "ad_user_data", "ad_personalization", "analytics_storage",
    "functionality_storage", "personalization_storage", "security_storage",
]
DEFAULT_CONSENT_MODE: dict[str, tuple[str, ...]] = {
    "analytics_storage": ("analytics",),
    "ad_storage": ("marketing",),
    "ad_user_data": ("marketing",),
    "ad_personalization": ("marketing",),
    "functionality_storage": ("preferences",),
    "personalization_storage": ("preferences",),
    "security_storage": ("necessary",),
}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\Z")
_FUNC = re.compile(r"^(rgba?|hsla?)\((.*)\)\Z", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:%|deg)?\Z")


def _lang_tag(value: str) -> str:
    norm = i18n.normalize_tag(value)
    if norm is None:
        raise ValueError(f"{value!r} is not a language tag such as 'en', 'de' or 'pt-BR'")
    return norm


def _text_key(value: str) -> str:
    known = i18n.text_keys()
    if value not in known:
        raise ValueError(f"unknown text key {value!r}; known keys: {', '.join(sorted(known))}")
    return value


def css_color(value: str) -> str:
    """Accept #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla() with numbers only."""
    v = value.strip()
    if _HEX.match(v):
        return v
    m = _FUNC.match(v)
    if m:
        parts = [p for p in re.split(r"[\s,/]+", m.group(2).strip()) if p]
        if 3 <= len(parts) <= 4 and all(_NUMBER.match(p) for p in parts):
            return f"{m.group(1).lower()}({' '.join(parts[:3])}{' / ' + parts[3] if len(parts) == 4 else ''})"
    raise ValueError(f"{value[:60]!r} is not a CSS colour; use #rrggbb, rgb(r g b) or hsl(h s% l%)")


def safe_url(value: str) -> str:
    """An http(s) URL or a relative one; anything that could run script (javascript:, data:) is refused."""
    v = value.strip()
    if not v or any(ord(c) < 0x21 or ord(c) == 0x7F for c in v) or "\\" in v:
        raise ValueError(f"{value[:80]!r} is not a URL (empty, or contains spaces or control characters)")
    parts = urlsplit(v)
    if parts.scheme and (parts.scheme.lower() not in ("http", "https") or not parts.netloc):
        raise ValueError(f"{value[:80]!r}: only http(s) or relative URLs are allowed")
    return v


LangTag = Annotated[str, AfterValidator(_lang_tag)]
TextKey = Annotated[str, AfterValidator(_text_key)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Color = Annotated[str, AfterValidator(css_color)]
Url = Annotated[str, Field(max_length=2048), AfterValidator(safe_url)]


def same_placeholders(v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Texts per language whose placeholders are exactly those of the shipped English text."""
    en = i18n.shipped_texts("en")
    for lang, entries in v.items():
        for key, text in entries.items():
            want, got = i18n.placeholders(en[key]), i18n.placeholders(text)
            if want != got:
                names = ", ".join("{" + p + "}" for p in sorted(want)) or "no placeholders"
                raise ValueError(f"{lang}.{key}: must contain exactly {names}")
    return v


class CategoryText(Strict):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)


class BannerColors(Strict):
    """Colours of one theme; unset ones keep the built-in theme's."""

    background: Color | None = None
    text: Color | None = None
    accent: Color | None = None
    """Background of the buttons and switched-on toggles."""
    accent_text: Color | None = None
    border: Color | None = None
    focus: Color | None = None


class BannerConfig(Strict):
    enabled: bool = True
    layout: Literal["bar-bottom", "bar-top", "box", "modal"] = "bar-bottom"
    default_language: LangTag = "en"
    privacy_url: Url | None = None
    logo_url: Url | None = None
    settings_button: Literal["floating", "link", "none"] = "floating"
    optout_icon: bool = True
    """Show the opt-out icon beside the opt-out link of `opt_out` regimes (docs/regions.md)."""
    optout_icon_url: Url | None = None
    """An image of your own for that icon; unset: the shipped one (a toggle with a check and a cross)."""
    texts: dict[LangTag, dict[TextKey, Text]] = Field(default_factory=dict)
    """Per language, texts replacing the shipped ones (keys as in locales/en.json)."""
    category_texts: dict[LangTag, dict[CategoryKey, CategoryText]] = Field(default_factory=dict)
    """Per language, category key → {title, description}."""
    colors: BannerColors = BannerColors()
    dark_colors: BannerColors = BannerColors()
    """Colours used when the visitor's system prefers a dark theme."""
    consent_mode: dict[GtagType, tuple[CategoryKey, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_CONSENT_MODE)  # type: ignore[arg-type]
    )
    """Google Consent Mode type → the categories that must all be in effect to grant it; {} turns it off."""
    consent_mode_wait_ms: int = Field(default=500, ge=0, le=10_000)

    @field_validator("consent_mode")
    @classmethod
    def _non_empty(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        empty = sorted(k for k, cats in v.items() if not cats)
        if empty:
            raise ValueError(f"{', '.join(empty)}: list at least one category (or leave the type out)")
        return v

    @field_validator("texts")
    @classmethod
    def _placeholders(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return same_placeholders(v)

    @model_validator(mode="after")
    def _default_language_known(self) -> BannerConfig:
        available = frozenset(i18n.shipped_languages()) | frozenset(self.texts)
        if i18n.match_language(self.default_language, available) is None:
            shipped = ", ".join(i18n.shipped_languages())
            raise ValueError(
                f"default_language: no texts for {self.default_language!r}; "
                f"shipped: {shipped}; or add banner.texts.{self.default_language}"
            )
        return self

    def cross_problems(self, category_keys: tuple[str, ...]) -> list[str]:
        """Problems that need the site's categories: unknown keys in category_texts and consent_mode."""
        known = set(category_keys)
        out: list[str] = []
        for lang, entries in self.category_texts.items():
            for key in entries:
                if key not in known:
                    out.append(f"banner.category_texts.{lang}.{key}: unknown category {key!r}")
        # The built-in mapping names the default categories; it is only checked once the site sets its own.
        mapping = self.consent_mode if "consent_mode" in self.model_fields_set else {}
        for gtag_type, cats in mapping.items():
            for key in cats:
                if key not in known:
                    out.append(f"banner.consent_mode.{gtag_type}: unknown category {key!r}")
        return out
