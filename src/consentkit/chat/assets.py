"""chat.js: read once, served with its content hash as version and ETag."""

from __future__ import annotations

import hashlib
from importlib.resources import files

from consentkit.http import Reply

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
BODY = files("consentkit.chat").joinpath("static", "chat.js").read_bytes()
_DIGEST = hashlib.sha256(BODY).hexdigest()
VERSION = _DIGEST[:16]
ETAG = f'"{_DIGEST[:32]}"'


def script_url(prefix: str) -> str:
    """`{prefix}/chat.js?v=<hash>`: the URL changes whenever the file does."""
    return f"{prefix}/chat.js?v={VERSION}"


def _matches(if_none_match: str) -> bool:
    return any(c.strip() == "*" or c.strip().removeprefix("W/") == ETAG for c in if_none_match.split(","))


def script_reply(query_version: str | None, if_none_match: str | None) -> Reply:
    """Cached for a year only under the current version's URL; otherwise revalidated each time."""
    headers = [("etag", ETAG), ("cache-control", IMMUTABLE if query_version == VERSION else REVALIDATE)]
    if if_none_match and _matches(if_none_match):
        return Reply(304, b"", headers)
    headers += [("content-type", "text/javascript; charset=utf-8"), ("x-content-type-options", "nosniff")]
    return Reply(200, BODY, headers)
