"""consentkit for Django: add ``consentkit_django`` to INSTALLED_APPS and its middleware to MIDDLEWARE.

Settings come from the ``CONSENTKIT`` setting (a dict, a path to a TOML file or a ``ConsentConfig``);
``CONSENTKIT_*`` environment variables win, as everywhere in consentkit.
"""

from __future__ import annotations

try:
    import django  # noqa: F401
except ImportError:  # pragma: no cover - exercised by simulating the missing package
    raise ImportError("consentkit_django needs Django; install it with: pip install consentkit-django") from None

__version__ = "0.1.0"
__all__ = ["__version__"]
