"""The visitor's preferred language from the Accept-Language header.

Only the primary subtag is kept ("en", not "en-us"): the language is what reports group by, and
the region and script subtags add identifying detail without adding much to that.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ACCEPT_LANGUAGE = 256
MAX_ENTRIES = 20

_TAG = re.compile(r"([a-z]{2,3})(?:-[a-z0-9]{1,8})*")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def _weight(params: list[str]) -> float | None:
    """The entry's q value; None when it is malformed."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


@lru_cache(maxsize=1024)
def _primary(header: str) -> str | None:
    best: str | None = None
    best_weight = 0.0
    for entry in header.split(",")[:MAX_ENTRIES]:
        tag, *params = entry.split(";")
        match = _TAG.fullmatch(tag.strip().lower())
        weight = _weight(params)
        if match and weight is not None and weight > best_weight:
            best, best_weight = match.group(1), weight
    return best


def primary_language(accept_language: str) -> str | None:
    """Lower-case primary subtag of the highest-weighted language; None when there is none.

    "*" and q=0 entries never win, malformed entries are skipped, and of equal weights the first
    listed wins. Only the first MAX_ACCEPT_LANGUAGE characters are read, up to the last complete entry.
    """
    if len(accept_language) > MAX_ACCEPT_LANGUAGE:
        accept_language = accept_language[:MAX_ACCEPT_LANGUAGE].rpartition(",")[0]
    return _primary(accept_language)
