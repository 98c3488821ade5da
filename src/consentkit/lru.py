"""A small bounded LRU map for the per-request hot path."""

from __future__ import annotations

from collections import OrderedDict
from contextlib import suppress
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """Bounded; least recently used entries go first. Thread-safe enough for caching: a race
    at worst recomputes a value, it never corrupts the map (OrderedDict ops hold the GIL)."""

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self.maxsize = maxsize

    def get(self, key: K) -> V | None:
        try:
            value = self._data[key]
        except KeyError:
            return None
        with suppress(KeyError):  # evicted by another thread meanwhile
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if self.maxsize <= 0:
            return
        self._data[key] = value
        while len(self._data) > self.maxsize:
            try:
                self._data.popitem(last=False)
            except KeyError:
                break

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
