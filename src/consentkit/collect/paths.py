"""Which requests are page views: static-asset and exclusion globs, prefetches."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping


class GlobSet:
    """Path globs compiled into one regex; `*` also crosses `/` (as in fnmatch)."""

    def __init__(self, globs: Iterable[str]) -> None:
        patterns = [fnmatch.translate(g) for g in globs]
        self._rx = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def match(self, path: str) -> bool:
        return self._rx is not None and self._rx.match(path) is not None


_PURPOSE = frozenset({"sec-purpose", "purpose", "x-moz"})


def is_prefetch(headers: Mapping[str, str]) -> bool:
    if headers.keys().isdisjoint(_PURPOSE):  # nearly every request: one call, not three lookups
        return False
    purpose = headers.get("sec-purpose") or headers.get("purpose") or headers.get("x-moz")
    if not purpose:
        return False
    purpose = purpose.lower()
    return "prefetch" in purpose or "prerender" in purpose
