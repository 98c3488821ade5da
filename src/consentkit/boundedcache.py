"""A small bounded cache for the per-request hot path."""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

KEY_BYTES_PER_ENTRY = 512
"""What the text in a cache's keys may take in all, by default: this much per entry it may hold.
Keys are often whole request headers, which a client makes as long (~8 KB) and as different as it
likes: counted in entries alone, a cache of 4,096 such keys holds 32 MB of them. A browser's
headers are far shorter, so a cache of them still holds as many entries as it may."""


def key_bytes(key: object) -> int:
    """The memory the text in a key takes (str and bytes, also inside tuples); other parts count 0."""
    cls = key.__class__
    if cls is str or cls is bytes:
        return _sizeof(key)
    if cls is tuple:  # the usual key: a tuple of headers, each a str or None
        n = 0
        for part in key:  # type: ignore[attr-defined]
            kind = part.__class__
            if kind is str or kind is bytes:
                n += _sizeof(part)
            elif kind is tuple or isinstance(part, str | bytes | tuple):
                n += key_bytes(part)
        return n
    if isinstance(key, str | bytes):
        return _sizeof(key)
    if isinstance(key, tuple):  # a NamedTuple
        return sum(key_bytes(part) for part in key)
    return 0


_sizeof = sys.getsizeof
_NONE_TYPE = type(None)


class BoundedCache(Generic[K, V]):
    """Bounded map; when full, the oldest entry goes first.

    Bounded twice: at most `maxsize` entries, and at most `max_bytes` of key text (`key_bytes`;
    by default KEY_BYTES_PER_ENTRY per entry); a key larger than that alone is never kept.
    A hit is one lookup, never a reordering: true LRU costs more on the request path than the rare
    extra miss saves, since entries that stay hot are simply added again after eviction. (A map
    whose entries cannot be made again, such as the chat's visits, calls `touch` on a hit.) An
    OrderedDict, not a dict: dropping a dict's first entry over and over leaves a growing run of
    holes at its front that every later eviction walks.
    Safe under threads: a race at worst recomputes a value or miscounts a few bytes for a while,
    it never corrupts the map.
    """

    __slots__ = ("_data", "_sizes", "_used", "get", "max_bytes", "maxsize", "touch")

    def __init__(self, maxsize: int, max_bytes: int | None = None) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._sizes: dict[K, int] = {}
        self._used = 0
        self.maxsize = maxsize
        self.max_bytes = max(0, maxsize) * KEY_BYTES_PER_ENTRY if max_bytes is None else max_bytes
        self.get = self._data.get
        self.touch = self._data.move_to_end
        """Make `key` the last to go; KeyError if absent."""

    def put(self, key: K, value: V) -> None:
        size = key_bytes(key)
        maxsize, max_bytes = self.maxsize, self.max_bytes
        if maxsize <= 0 or size > max_bytes:
            return
        data = self._data
        sizes = self._sizes
        used = self._used - sizes.pop(key, 0) + size  # a key put again is counted once
        while len(data) >= maxsize or used > max_bytes:
            try:
                gone, _ = data.popitem(last=False)
            except KeyError:  # emptied (by another thread meanwhile)
                break
            used -= sizes.pop(gone, 0)
        data[key] = value
        sizes[key] = size
        self._used = max(size, used)

    @property
    def used_bytes(self) -> int:
        """The key text held now, as counted for `max_bytes`."""
        return self._used

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()
        self._sizes.clear()
        self._used = 0
