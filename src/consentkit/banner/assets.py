"""The banner's static files: read once at import, served with a content hash as version and ETag.

`python -m consentkit.banner` prints the gzipped size of each file (the budget is 8 KB for both).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib.resources import files

from consentkit.http import Reply

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
GZIP_BUDGET = 8192
_TYPES = {"banner.js": "text/javascript; charset=utf-8", "banner.css": "text/css; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    content_type: str
    version: str
    etag: str


def _load(name: str) -> Asset:
    body = files("consentkit.banner").joinpath("static", name).read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    return Asset(name, body, _TYPES[name], digest[:16], f'"{digest[:32]}"')


ASSETS: dict[str, Asset] = {name: _load(name) for name in _TYPES}


def asset_url(prefix: str, name: str) -> str:
    """`/_consent/banner.js?v=<hash>`: the URL changes whenever the file does."""
    return f"{prefix}/{name}?v={ASSETS[name].version}"


def _etag_matches(if_none_match: str, etag: str) -> bool:
    for candidate in if_none_match.split(","):
        c = candidate.strip()
        if c == "*" or c.removeprefix("W/") == etag:
            return True
    return False


def asset_reply(name: str, query_version: str | None, if_none_match: str | None) -> Reply | None:
    """The reply for `{prefix}/<name>`, or None if `name` is not one of the banner's files.

    Cached for a year only when the URL carries the current version; otherwise revalidated each
    time, so a page still pointing at an old version never pins new content under the old URL.
    """
    asset = ASSETS.get(name)
    if asset is None:
        return None
    cache = IMMUTABLE if query_version == asset.version else REVALIDATE
    headers = [("etag", asset.etag), ("cache-control", cache)]
    if if_none_match and _etag_matches(if_none_match, asset.etag):
        return Reply(304, b"", headers)
    headers += [("content-type", asset.content_type), ("x-content-type-options", "nosniff")]
    return Reply(200, asset.body, headers)


def gzipped_sizes() -> dict[str, int]:
    return {name: len(gzip.compress(a.body, compresslevel=9, mtime=0)) for name, a in ASSETS.items()}


def main() -> None:
    sizes = gzipped_sizes()
    for name, size in sizes.items():
        print(f"{name}: {len(ASSETS[name].body)} bytes, {size} bytes gzipped")
    total = sum(sizes.values())
    print(f"total: {total} bytes gzipped (budget {GZIP_BUDGET}: {'ok' if total <= GZIP_BUDGET else 'OVER'})")

