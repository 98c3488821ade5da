"""Visit data for the chat rules: page views and time on site, per session id, in memory.

Fed only with page views of requests whose session id is in effect (its category granted and no
DNT/GPC signal), so nothing is remembered about a visitor who did not allow it. Bounded: the least
recently seen visits are forgotten first. Per process: with several app servers, a visit's counts
are those of the server that saw its pages unless the load balancer keeps sessions sticky.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from consentkit.boundedcache import BoundedCache

T = TypeVar("T")
MAX_PAGES = 10
MAX_PATH = 200


class Visit:
    __slots__ = ("first", "last", "pages", "returning", "views")

    def __init__(self, now: float, returning: bool | None) -> None:
        self.first = now
        self.last = now
        self.views = 0
        self.returning = returning
        self.pages: deque[str] = deque(maxlen=MAX_PAGES)  # the latest ones


class Visits:
    def __init__(self, size: int, idle_s: float) -> None:
        self._lru: BoundedCache[str, Visit] = BoundedCache(size)
        self.idle_s = idle_s

    def get(self, session_id: str, now: float | None = None) -> Visit | None:
        visit = self._lru.get(session_id)
        if visit is None:
            return None
        now = time.time() if now is None else now
        return visit if now - visit.last <= self.idle_s else None

    def record(self, session_id: str, path: str, now: float, returning: Callable[[T], bool | None], arg: T
               ) -> Visit:
        """Count one page view of the visit; a new (or idle) visit starts with `returning(arg)`."""
        lru = self._lru
        visit = lru.get(session_id)
        if visit is None or now - visit.last > self.idle_s:
            visit = Visit(now, returning(arg))
            lru.put(session_id, visit)
        else:
            try:  # noqa: SIM105 - suppress() costs a context manager on every page view
                lru.touch(session_id)  # the least recently seen visit goes first, not the oldest
            except KeyError:  # forgotten by another thread meanwhile
                pass
        visit.views += 1
        visit.last = now
        visit.pages.append(path[:MAX_PATH])
        return visit

    def __len__(self) -> int:
        return len(self._lru)
