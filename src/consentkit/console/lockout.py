"""Login lock-out: after `attempts` failures a user name, or a client address, is refused for a while.

Counted per name and per address, so that neither guessing one user's password from many addresses
nor many users' from one address gets far. Memory is bounded (`BoundedCache`): a flood of made-up
names pushes out old entries, at worst forgetting failures, never growing. Counts live in this
process: with several server processes each keeps its own.
"""

from __future__ import annotations

from consentkit.boundedcache import BoundedCache

MAX_KEY = 128
ENTRIES = 20_000


class LoginThrottle:
    def __init__(self, attempts: int, lockout_seconds: float, entries: int = ENTRIES) -> None:
        self.attempts, self.lockout = attempts, lockout_seconds
        self._failures: BoundedCache[str, list[float]] = BoundedCache(entries)
        """key → [failures, time of the last one]; a key is locked while failures ≥ attempts and the
        last failure is more recent than the lock-out."""

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        return "u:" + name[:MAX_KEY], "a:" + address[:MAX_KEY]

    def locked_for(self, name: str, address: str, now: float) -> float:
        """Seconds until `name` and `address` may try again (0: now)."""
        wait = 0.0
        for key in self._keys(name, address):
            entry = self._failures.get(key)
            if entry is not None and entry[0] >= self.attempts:
                wait = max(wait, entry[1] + self.lockout - now)
        return max(0.0, wait)

    def failed(self, name: str, address: str, now: float) -> None:
        for key in self._keys(name, address):
            entry = self._failures.get(key)
            if entry is None or now - entry[1] > self.lockout:  # old failures are forgiven
                self._failures.put(key, [1.0, now])
            else:
                entry[0] += 1
                entry[1] = now

    def succeeded(self, name: str) -> None:
        """A right password clears the name's failures (the address keeps its own)."""
        self._failures.put("u:" + name[:MAX_KEY], [0.0, 0.0])
