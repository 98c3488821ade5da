"""Parsing of the untrusted `Cookie` request header and of `Set-Cookie` names.

Lenient like browsers: a malformed pair is skipped, never raised about. The header is capped so a
huge value cannot cost more than a bounded amount of work; parsed results are cached because a
returning visitor sends the same header on every request.
"""

from __future__ import annotations

import re

MAX_COOKIE_HEADER = 8192
MAX_COOKIES = 200
_JOINED = re.compile(r",[ \t]*(?=[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)")
"""A comma before the next name=: where a server joined repeated Cookie headers (gunicorn uses ",")."""


def _parse(header: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    header = header[:MAX_COOKIE_HEADER]
    if "," in header:
        header = _JOINED.sub(";", header)
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        pairs.append((name, value))
        if len(pairs) >= MAX_COOKIES:
            break
    return tuple(pairs)


def parse_cookie_header(header: str) -> dict[str, str]:
    """Name → value; for a repeated name the first wins, as in browsers' most specific path.

    Not cached: a Cookie header is read only when the engine makes the decision it keeps for that
    header (`Engine.begin`), so a returning visitor's is parsed once.
    """
    out: dict[str, str] = {}
    for name, value in _parse(header) if header else ():
        out.setdefault(name, value)
    return out


def set_cookie_name(header_value: str) -> str:
    """The cookie name of one `Set-Cookie` header value ("" when there is none)."""
    return header_value.partition("=")[0].strip()
