"""A small bounded cache for the per-request hot path."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Bounded map; when full, the oldest entry goes first.

    A hit is one lookup, never a reordering: true LRU costs more on the request path than the rare
    extra miss saves, since entries that stay hot are simply added again after eviction. (A map
    whose entries cannot be made again, such as the chat's visits, calls `touch` on a hit.) An
    OrderedDict, not a dict: dropping a dict's first entry over and over leaves a growing run of
    holes at its front that every later eviction walks.
    Safe under threads: a race at worst recomputes a value, it never corrupts the map.
    """

    __slots__ = ("_data", "get", "maxsize", "touch")

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self.maxsize = maxsize
        self.get = self._data.get
        self.touch = self._data.move_to_end
        """Make `key` the last to go; KeyError if absent."""

    def put(self, key: K, value: V) -> None:
        if self.maxsize <= 0:
            return
        data = self._data
        while len(data) >= self.maxsize:
            try:
                data.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
        data[key] = value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
