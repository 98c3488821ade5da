"""HMAC-SHA256 (RFC 2104) from a key's inner and outer hash states, made once per key.

For keys used over and over on the request path (the daily IP-hash salt, the id-signing keys):
a message then costs two short hashes instead of a full HMAC set-up.
"""

from __future__ import annotations

import hashlib


class KeyedHash:
    """HMAC-SHA256 under one key, of messages that all begin with `prefix` (absorbed once)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, prefix: bytes = b"") -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._inner.update(prefix)
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256(key, prefix + message)."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
