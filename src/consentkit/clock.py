"""Cheap wall-clock helpers for the hot path."""

from __future__ import annotations

import time

_day_cache: tuple[int, str] = (-1, "")


def today() -> str:
    """UTC date as YYYY-MM-DD, recomputed at most once a minute."""
    global _day_cache
    now = int(time.time()) // 60
    if _day_cache[0] != now:
        _day_cache = (now, time.strftime("%Y-%m-%d", time.gmtime(now * 60)))
    return _day_cache[1]
