"""How long a cookie lives, read from the `Set-Cookie` header that sets it, for the declaration.

Cookie control counts every Set-Cookie of the app it lets through as ``cookie.lifetime`` =
``name|seconds`` (or ``name|session``), an anonymous daily counter: `consentkit declaration` shows
each cookie's observed maximum. A lifetime from `Expires` depends on the clock, so it is rounded (to the minute
below a day, to the day above) to keep the number of distinct keys small; `Max-Age` is kept exact.
Lenient like browsers (RFC 6265 5.2): an attribute that does not parse is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Protocol

from consentkit.cookieparse import set_cookie_name

METRIC = "cookie.lifetime"
SESSION = "session"
MAX_HEADER = 4096
MAX_NAME = 64
MAX_LIFETIME = 100 * 365 * 86400  # longer is "100 years": a key stays a short number


class Tally(Protocol):
    def tally(self, metric: str, key: str) -> None: ...


def lifetime(header_value: str, now: float | None = None) -> int | str | None:
    """Seconds the cookie lives, `SESSION` without an expiry, None when the header deletes it."""
    max_age: int | None = None
    expires: str | None = None
    for attribute in header_value[:MAX_HEADER].split(";")[1:]:
        name, _, value = attribute.partition("=")
        name = name.strip().lower()
        if name == "max-age":
            value = value.strip()
            digits = value[1:] if value[:1] == "-" else value
            if digits.isascii() and digits.isdigit() and len(digits) <= 20:
                max_age = int(value)  # the last one wins
        elif name == "expires":
            expires = value.strip()
    if max_age is not None:
        return None if max_age <= 0 else min(max_age, MAX_LIFETIME)
    if expires is None:
        return SESSION
    try:
        at = parsedate_to_datetime(expires)
        seconds = at.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return SESSION  # an unparsable Expires is ignored: a session cookie
    if seconds <= 0:
        return None
    step = 60 if seconds < 86400 else 86400
    return min(max(step, round(seconds / step) * step), MAX_LIFETIME)


def count_lifetime(counter: Tally, name: str, header_value: str) -> None:
    """Count the lifetime of one Set-Cookie that is let through (a deletion is not counted)."""
    life = lifetime(header_value)
    if life is not None and name:
        counter.tally(METRIC, f"{name[:MAX_NAME]}|{life}")


def count_lifetimes(counter: Tally, headers: Iterable[tuple[str, str]]) -> None:
    """`count_lifetime` for each Set-Cookie among response headers."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            count_lifetime(counter, set_cookie_name(value), value)


def parse_key(key: str) -> tuple[str, int | None] | None:
    """A counter key back as (cookie name, seconds or None for a session cookie); None if malformed."""
    name, sep, life = key.rpartition("|")
    if not sep or not name:
        return None
    if life == SESSION:
        return name, None
    return (name, int(life)) if life.isascii() and life.isdigit() else None
