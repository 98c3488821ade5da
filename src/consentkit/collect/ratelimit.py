"""A bounded per-key rate limiter for beacon, pixel and chat-click hits, and the key they count by."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from consentkit.boundedcache import BoundedCache
from consentkit.collect.ip import mask_ip

if TYPE_CHECKING:
    from consentkit.collect.ip import ClientAddress
    from consentkit.exchange import Exchange

V4_PREFIX = 24
V6_PREFIX = 64
"""Without an issued visitor id, hits count by the client's network: one host, or one customer's
/64, can change its address within these for free, but not leave them."""


def rate_key(ex: Exchange, address: ClientAddress) -> str:
    """What a client's hits are counted by: the visitor id this site issued (signed, so not made up,
    and known from an earlier response), else its address's network; never something it can
    rotate for free, such as a fresh id per request."""
    if ex.visitor_id is not None and not ex.new_visitor:
        return "v:" + ex.visitor_id
    ip = address.of(ex.request)
    network = mask_ip(ip, "truncated", V4_PREFIX, V6_PREFIX) if ip is not None else None
    return "n:" + (network or "-")


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
