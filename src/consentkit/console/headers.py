"""The security headers on every console response, from either shell (Starlette or the Django admin)."""

from __future__ import annotations

from importlib import resources

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
"""No script at all, styles only from the console's own files (no inline style), forms only to itself,
never framed."""
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
STATIC_TYPES = {"css": "text/css; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "woff2": "font/woff2"}


def static_file(name: str) -> tuple[bytes, str] | None:
    """A file of the console's `static/` folder and its type; None for any other name."""
    stem, dot, kind = name.rpartition(".")
    if not dot or kind not in STATIC_TYPES or not stem or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                                  for c in stem):
        return None
    file = resources.files("consentkit.console").joinpath("static", name)
    return (file.read_bytes(), STATIC_TYPES[kind]) if file.is_file() else None
