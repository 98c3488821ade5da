"""A small bounded cache for the per-request hot path."""

from __future__ import annotations

from contextlib import suppress
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Bounded map; when full, the oldest entry goes first.

    A hit is a plain dict lookup: reordering on every hit (true LRU) costs more on the request path
    than the rare extra miss saves, since entries that stay hot are simply added again after
    eviction. Safe under threads: a race at worst recomputes a value, it never corrupts the map.
    """

    __slots__ = ("_data", "get", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self._data: dict[K, V] = {}
        self.maxsize = maxsize
        self.get = self._data.get

    def put(self, key: K, value: V) -> None:
        if self.maxsize <= 0:
            return
        data = self._data
        while len(data) >= self.maxsize:
            with suppress(KeyError, StopIteration, RuntimeError):
                del data[next(iter(data))]
        data[key] = value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
