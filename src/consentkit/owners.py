"""Which category owns a cookie name: the one rule the core, config validation and the Django checks use."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping

from consentkit.boundedcache import BoundedCache

ALWAYS = "\x00consentkit"
"""Owner of consentkit's own choice cookie: always allowed, it records the choice itself."""


class CookieOwners:
    """Maps a cookie name to the category that owns it (None: undeclared).

    `own` names win; then an exact name, the first category to declare it; then the first glob
    (``_ga_*``) that matches, in the order the categories and their patterns are declared. Globs
    are compiled once; glob answers are remembered (bounded).
    """

    def __init__(self, declared: Iterable[tuple[str, Iterable[str]]], own: Mapping[str, str] | None = None,
                 cache_size: int = 4096) -> None:
        exact: dict[str, str] = {}
        globs: list[tuple[re.Pattern[str], str]] = []
        for key, patterns in declared:
            for pattern in patterns:
                if any(ch in pattern for ch in "*?["):
                    globs.append((re.compile(fnmatch.translate(pattern)), key))
                else:
                    exact.setdefault(pattern, key)
        exact.update(own or {})
        self._exact = exact
        self._globs = tuple(globs)
        self._cache: BoundedCache[str, str] = BoundedCache(cache_size)

    def owner(self, name: str) -> str | None:
        hit = self._exact.get(name)
        if hit is not None:
            return hit
        cached = self._cache.get(name)
        if cached is not None:
            return cached or None
        found = ""
        for rx, key in self._globs:
            if rx.match(name):
                found = key
                break
        if len(name) <= 256:  # longer ones are rare, and would crowd the others out
            self._cache.put(name, found)
        return found or None
