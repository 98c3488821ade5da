"""consentkit: track website visitors only as far as each visitor allowed."""

from __future__ import annotations

from consentkit.asgi import ConsentMiddleware
from consentkit.banner.render import assets_html, banner_html
from consentkit.config import Category, ConsentConfig
from consentkit.configfile import load_config
from consentkit.consent import ConsentState
from consentkit.engine import Engine
from consentkit.errors import ConfigError, ConsentKitError
from consentkit.review.declaration_render import cookie_declaration_html
from consentkit.signals import Signals
from consentkit.wsgi import WSGIConsentMiddleware

__version__ = "0.1.0"


__all__ = [
    "Category",
    "ConfigError",
    "ConsentConfig",
    "ConsentKitError",
    "ConsentMiddleware",
    "ConsentState",
    "Engine",
    "Signals",
    "WSGIConsentMiddleware",
    "__version__",
    "assets_html",
    "banner_html",
    "cookie_declaration_html",
    "load_config",
]
