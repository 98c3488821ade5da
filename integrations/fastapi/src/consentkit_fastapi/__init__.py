"""consentkit for FastAPI: ``install(app, config)`` (or ``app.add_middleware(ConsentMiddleware, config=...)``),
and the dependency ``Consent`` for path operations.

The middleware is the core's pure ASGI ``ConsentMiddleware``; this package only adds FastAPI glue:
lifespan, OpenAPI documentation of consentkit's endpoints, a dependency and template helpers.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
except ImportError:  # pragma: no cover - exercised by simulating the missing package
    raise ImportError("consentkit_fastapi needs FastAPI; install it with: pip install consentkit-fastapi") from None

from consentkit.asgi import ConsentMiddleware
from consentkit_fastapi.glue import (
    Consent,
    consent_assets,
    consent_banner,
    consent_context,
    get_consent,
    get_engine,
    install,
)

__version__ = "0.1.0"
__all__ = [
    "Consent",
    "ConsentMiddleware",
    "__version__",
    "consent_assets",
    "consent_banner",
    "consent_context",
    "get_consent",
    "get_engine",
    "install",
]
