"""Which requests are page views: static-asset and exclusion globs, prefetches."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping

from consentkit.boundedcache import BoundedCache


class GlobSet:
    """Path globs compiled into one regex; `*` also crosses `/` (as in fnmatch).

    Answers are remembered per path (bounded): a site's pages repeat, and the regex tries every
    glob in turn, each scanning the path.
    """

    def __init__(self, globs: Iterable[str], remember: int = 4096) -> None:
        patterns = [fnmatch.translate(g) for g in globs]
        self._rx = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._seen: BoundedCache[str, bool] = BoundedCache(remember)

    def match(self, path: str) -> bool:
        hit = self._seen.get(path)
        if hit is None:
            hit = self._rx is not None and self._rx.match(path) is not None
            if len(path) <= 256:  # longer ones are rare, and would crowd the others out
                self._seen.put(path, hit)
        return hit

    @property
    def remembered(self) -> int:
        """How many paths' answers are remembered now."""
        return len(self._seen)


def is_prefetch(headers: Mapping[str, str]) -> bool:
    if "sec-purpose" not in headers and "purpose" not in headers and "x-moz" not in headers:
        return False  # nearly every request: three `in` tests, cheaper than making a keys view to compare
    purpose = headers.get("sec-purpose") or headers.get("purpose") or headers.get("x-moz")
    if not purpose:
        return False
    purpose = purpose.lower()
    return "prefetch" in purpose or "prerender" in purpose
