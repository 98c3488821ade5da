"""Splitting URLs that come from a request (Origin, Referer, a beacon's links).

`urllib.parse.urlsplit` raises ValueError on some malformed input ("http://[", "https://[abc]",
"//a]b/"); every URL a request carries is split here, so no call site can let that escape.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

MAX_URL = 8192
"""Longer values are not split at all: no header or body field consentkit reads needs more."""


def split_url(text: str) -> SplitResult | None:
    """`urlsplit(text)`, or None when it cannot be split (or is absurdly long)."""
    if len(text) > MAX_URL:
        return None
    try:
        return urlsplit(text)
    except ValueError:
        return None


def url_path(text: str) -> str:
    """The path of a URL, or "" when there is none or the URL is malformed."""
    parts = split_url(text)
    return parts.path if parts is not None else ""
