"""The consent banner: configuration, server-rendered HTML, and its static assets.

`banner_html` and `assets_html` are imported lazily so that `consentkit.config` can import the
settings model from here without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consentkit.banner.settings import BannerColors, BannerConfig, CategoryText

if TYPE_CHECKING:
    from consentkit.banner.assets import asset_reply, asset_url
    from consentkit.banner.render import assets_html, banner_html, consent_default_html, settings_link_html
    from consentkit.banner.texts import pick_language

_LAZY = {
    "banner_html": "consentkit.banner.render",
    "assets_html": "consentkit.banner.render",
    "consent_default_html": "consentkit.banner.render",
    "settings_link_html": "consentkit.banner.render",
    "asset_reply": "consentkit.banner.assets",
    "asset_url": "consentkit.banner.assets",
    "pick_language": "consentkit.banner.texts",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'consentkit.banner' has no attribute {name!r}")


__all__ = [
    "BannerColors", "BannerConfig", "CategoryText", "asset_reply", "asset_url", "assets_html", "banner_html",
    "consent_default_html", "pick_language", "settings_link_html",
]
