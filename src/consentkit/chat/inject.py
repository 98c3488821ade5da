"""Inserting a snippet into an HTML body just before its last `</body>`, respecting the charset.

`inject_html` never raises: a body it cannot handle safely (unknown, undecodable or non-ASCII-compatible
charset, no `</body>`) comes back unchanged. The search runs on bytes, from the end: for the
ASCII-compatible charsets accepted here, `<` and `/` never occur inside a multi-byte character.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from consentkit.chat.providers import NONCE

_BODY_END = re.compile(rb"</body(?:[\t\n\f\r />]|\Z)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE)
_CSP_NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=_\-]{1,128})'")
_PRINTABLE = bytes(range(0x09, 0x0E)) + bytes(range(0x20, 0x7F))
SNIFF_BYTES = 1024


@lru_cache(maxsize=64)
def ascii_codec(charset: str) -> str | None:
    """The codec's canonical name if it encodes every printable ASCII character as itself, else None."""
    try:
        name = codecs.lookup(charset.strip().strip("\"'")).name
        ok = _PRINTABLE.decode("ascii").encode(name) == _PRINTABLE and _PRINTABLE.decode(name) == "".join(
            map(chr, _PRINTABLE)
        )
    except (LookupError, UnicodeError, ValueError):
        return None
    return name if ok else None


def charset_of(content_type: str) -> str | None:
    """The `charset` parameter of a Content-Type header, or None."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")[:40]
    return None


def sniff_charset(body: bytes) -> str | None:
    """A byte-order mark or `<meta charset>` in the first KB, as browsers look for one."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    m = _META_CHARSET.search(body, 0, SNIFF_BYTES)
    return m.group(1).decode("ascii") if m else None


def find_body_end(body: bytes) -> int:
    """Offset of the last `</body` end tag (any case), or -1; looks at the tail first."""
    n = len(body)
    size = 4096
    while True:
        start = max(0, n - size)
        last = -1
        for m in _BODY_END.finditer(body, start):
            last = m.start()
        if last >= 0 or start == 0:
            return last
        size *= 8


def inject_html(body: bytes, snippet: str, charset: str | None = "utf-8") -> bytes:
    """`body` with `snippet` inserted before the last `</body>`, or `body` unchanged. Never raises."""
    try:
        name = ascii_codec(charset or sniff_charset(body) or "")
        if name is None:
            return body
        at = find_body_end(body)
        if at < 0:
            return body
        body.decode(name)  # undecodable in its own charset: not ours to touch
        insert = snippet.encode(name, "xmlcharrefreplace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return body
    return b"".join((body[:at], insert, body[at:]))


def csp_nonce(header: str) -> str | None:
    """The nonce a Content-Security-Policy header allows for scripts, if any."""
    directives: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives.setdefault(name.lower(), value)
    for name in ("script-src-elem", "script-src", "default-src"):
        if name in directives:
            m = _CSP_NONCE.search(directives[name])
            return m.group(1) if m else None
    return None


def pick_nonce(hint: object, csp_header: str | None) -> str | None:
    """The app's nonce (`scope["csp_nonce"]` / `environ["csp_nonce"]`), else the one in its CSP header."""
    if isinstance(hint, bytes):
        hint = hint.decode("latin-1")
    if isinstance(hint, str) and NONCE.match(hint):
        return hint
    return csp_nonce(csp_header) if csp_header else None
