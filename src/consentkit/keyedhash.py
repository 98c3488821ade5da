"""HMAC-SHA256 under a key used over and over (the daily IP-hash salt, the id-signing keys): the
standard library's HMAC, set up once per key (and prefix) and copied per message."""

from __future__ import annotations

import hashlib
import hmac


class KeyedHash:
    """HMAC-SHA256 under one key, of messages that all begin with `prefix` (absorbed once)."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes, prefix: bytes = b"") -> None:
        self._mac = hmac.new(key, prefix, hashlib.sha256)

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256(key, prefix + message)."""
        mac = self._mac.copy()
        mac.update(message)
        return mac.digest()
