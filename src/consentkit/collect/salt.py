"""The daily salt of keyed IP hashes (`collection.ip_mode = "hash"`), shared by a site's processes.

Salts are random, never derived from the date, so a stored hash cannot be recomputed once its salt
is gone; rotation and deletion need no lock in the store.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Protocol

SALT_BYTES = 32
ROTATE_AFTER = 24 * 3600.0
KEEP_PREVIOUS_FOR = 48 * 3600.0
SAME_ROTATION_WINDOW = 3600.0


class SaltStore(Protocol):
    """Where the salts of one site live, shared by all of its processes."""

    def load_salts(self) -> list[tuple[float, bytes]]: ...

    def add_salt(self, created_at: float, salt: bytes) -> None: ...

    def delete_salts_before(self, created_at: float) -> None: ...


class MemorySaltStore:
    """A SaltStore for one process: tests, and sites without shared storage."""

    def __init__(self) -> None:
        self._salts: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()

    def load_salts(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self._salts)

    def add_salt(self, created_at: float, salt: bytes) -> None:
        with self._lock:
            self._salts.append((created_at, salt))

    def delete_salts_before(self, created_at: float) -> None:
        with self._lock:
            self._salts = [entry for entry in self._salts if entry[0] >= created_at]


def _rotations(salts: list[tuple[float, bytes]]) -> list[tuple[float, bytes]]:
    """The salt that started each rotation, oldest first.

    Processes that rotate at the same moment each add a salt; every process picks the earliest of
    such a cluster, so they agree without any locking in the store.
    """
    starts: list[tuple[float, bytes]] = []
    for created_at, salt in sorted(salts):
        if not starts or created_at - starts[-1][0] >= SAME_ROTATION_WINDOW:
            starts.append((created_at, salt))
    return starts


class DailySalt:
    """A random salt for keyed IP hashes, replaced every day so hashes cannot be linked across days.

    Salts are random, never derived from the date, so a stored hash cannot be recomputed once its
    salt is gone. A replaced salt is deleted 48 h after it stopped being current; the store is only
    touched when the cached salt is due for rotation, which is also when old salts are deleted.
    """

    def __init__(self, store: SaltStore, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[bytes, float] | None = None

    def current(self) -> bytes:
        cached = self._cached
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        with self._lock:
            now = self._clock()
            cached = self._cached
            if cached is None or now >= cached[1]:
                created_at, salt = self._rotate(now)
                cached = (salt, created_at + ROTATE_AFTER)
                self._cached = cached
            return cached[0]

    def _rotate(self, now: float) -> tuple[float, bytes]:
        rotations = _rotations(self._store.load_salts())
        if not rotations or now - rotations[-1][0] >= ROTATE_AFTER:
            fresh = (now, secrets.token_bytes(SALT_BYTES))
            self._store.add_salt(*fresh)
            rotations = _rotations(self._store.load_salts())
            if not rotations or now - rotations[-1][0] >= ROTATE_AFTER:
                rotations.append(fresh)
        self._delete_expired(rotations, now)
        return rotations[-1]

    def _delete_expired(self, rotations: list[tuple[float, bytes]], now: float) -> None:
        keep_from = len(rotations) - 1
        for index in range(len(rotations) - 1):
            stopped_at = min(rotations[index + 1][0], rotations[index][0] + ROTATE_AFTER)
            if now - stopped_at < KEEP_PREVIOUS_FOR:
                keep_from = index
                break
        if keep_from > 0:
            self._store.delete_salts_before(rotations[keep_from][0])
