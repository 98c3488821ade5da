"""A bounded per-key rate limiter for beacon and pixel hits."""

from __future__ import annotations

import time

from consentkit.boundedcache import BoundedCache


class RateLimiter:
    """Fixed one-minute windows per key; at most `size` keys remembered (least recent forgotten)."""

    def __init__(self, per_minute: int, size: int = 50_000) -> None:
        self.per_minute = per_minute
        self._hits: BoundedCache[str, list[int]] = BoundedCache(size)

    def allow(self, key: str) -> bool:
        window = int(time.time()) // 60
        entry = self._hits.get(key)
        if entry is None or entry[0] != window:
            self._hits.put(key, [window, 1])
            return True
        entry[1] += 1
        return entry[1] <= self.per_minute
