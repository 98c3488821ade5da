"""Console users from the configuration, and their password hashes (scrypt, from the standard library).

A hash reads ``scrypt$LOG2N$R$P$SALT$HASH`` (salt and hash in unpadded URL-safe base64), so its cost
travels with it and a later, dearer default does not lock anyone out. Checking a password for a name
that does not exist costs as much as for one that does, so the time of a refusal does not tell which
names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from consentkit.console_settings import ConsoleConfig, ConsoleRole

LOG2_N = 15
"""scrypt's cost: n = 2**15 with r = 8 takes 32 MiB and some 0.1 s a check on a current server core."""
R = 8
P = 1
MIN_LOG2_N, MAX_LOG2_N = 10, 20
MAX_PASSWORD = 1024
"""Longer passwords are refused before hashing: hashing is the dear part, and nobody types more."""
SALT_BYTES = 16
HASH_BYTES = 32


class BadHash(ValueError):
    """A stored hash that is not one `hash_password` makes."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log2n: int, r: int, p: int) -> bytes:
    n = 1 << log2n
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=2 * 128 * n * r * p + 1024 * 1024, dklen=HASH_BYTES)


def hash_password(password: str, *, log2n: int = LOG2_N) -> str:
    """A new hash of `password` with a fresh salt, for `console.users.NAME.password_hash`."""
    if not password:
        raise ValueError("the password is empty")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"the password is longer than {MAX_PASSWORD} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${log2n}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, log2n, R, P))}"


def _parts(stored: str) -> tuple[bytes, int, int, int, bytes]:
    kind, *fields = stored.split("$")
    if kind != "scrypt" or len(fields) != 5:
        raise BadHash("not a scrypt$LOG2N$R$P$SALT$HASH hash")
    try:
        log2n, r, p = (int(f) for f in fields[:3])
        salt, digest = _unb64(fields[3]), _unb64(fields[4])
    except ValueError:
        raise BadHash("its cost or its base64 is not readable") from None
    if not (MIN_LOG2_N <= log2n <= MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 4 and len(digest) == HASH_BYTES):
        raise BadHash(f"its cost is outside 2**{MIN_LOG2_N}..2**{MAX_LOG2_N}, r 1..32, p 1..4")
    return salt, log2n, r, p, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (compared in constant time)."""
    salt, log2n, r, p, digest = _parts(stored)
    if not password or len(password) > MAX_PASSWORD:
        return False
    return hmac.compare_digest(_scrypt(password, salt, log2n, r, p), digest)


_DECOY = f"scrypt${LOG2_N}${R}${P}${_b64(bytes(SALT_BYTES))}${_b64(bytes(HASH_BYTES))}"
"""Checked against when the name is unknown, at the default cost; no password hashes to it."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: ConsoleRole


def login(console: ConsoleConfig, name: str, password: str) -> Account | None:
    """The account `name` when `password` is its password, else None (unknown names cost the same)."""
    user = console.users.get(name)
    if user is None:
        verify_password(password, _DECOY)
        return None
    return Account(name, user.role) if verify_password(password, user.password_hash) else None


def account(console: ConsoleConfig, name: str) -> Account | None:
    """The configured account of `name` as the configuration says now (a removed user is none)."""
    user = console.users.get(name)
    return Account(name, user.role) if user is not None else None


def hash_fingerprint(console: ConsoleConfig, name: str) -> str:
    """A short digest of the user's password hash: a login made before the password changed ends."""
    user = console.users.get(name)
    if user is None:
        return ""
    return hashlib.sha256(user.password_hash.encode("ascii")).hexdigest()[:16]
