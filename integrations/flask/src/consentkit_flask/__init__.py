"""consentkit for Flask: ``ConsentKit(app)`` or ``ConsentKit().init_app(app)``.

The app's WSGI callable is wrapped with the core ``WSGIConsentMiddleware`` (one Engine per app);
views read ``g.consent``, templates call ``consent_banner()``, ``consent_assets()`` and
``consent.allows("analytics")``, and ``flask consentkit …`` runs consentkit's command line.
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
except ImportError:  # pragma: no cover - exercised by simulating the missing package
    raise ImportError("consentkit_flask needs Flask; install it with: pip install consentkit-flask") from None

from consentkit_flask.extension import ConsentKit, consent_assets, consent_banner, current_consent, get_engine

__version__ = "0.1.0"
__all__ = ["ConsentKit", "__version__", "consent_assets", "consent_banner", "current_consent", "get_engine"]
