"""The console's login cookie: who logged in, when, and when they were last seen, signed.

The value is ``<payload>.<mac>``: the payload URL-safe base64 of a short JSON object, the MAC
HMAC-SHA256 over it under a key of its own derived from `secret_keys` and `site_id` (the first key
signs, all verify, as for the other cookies). A cookie that does not verify, is too long, is not what
`Login.encode` writes, or has passed its idle or absolute limit reads as no login, never as an error.

A cookie without a user is a visit to the login form: it carries the id its CSRF token is bound to.
A login issues a fresh id (no fixation), and the user's password-hash fingerprint, so that a changed
password ends every earlier login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from consentkit.keyedhash import KeyedHash

COOKIE_NAME = "ck_console"
MAX_COOKIE = 1024
"""Longer values are not read at all: what `encode` writes is some 250 characters."""
MAC_BYTES = 32


@dataclass(frozen=True, slots=True)
class Login:
    """What the cookie says (after its signature and its times were checked)."""

    sid: str
    """Random id of this browser's visit to the console; the CSRF token is bound to it."""
    user: str
    """The logged-in user's name; "" before the login."""
    fingerprint: str
    """`users.hash_fingerprint` at login; "" for delegated logins and before the login."""
    started: float
    seen: float

    def touched(self, now: float) -> Login:
        return replace(self, seen=now)


def fresh(now: float, user: str = "", fingerprint: str = "") -> Login:
    return Login(secrets.token_urlsafe(18), user, fingerprint, now, now)


class LoginCodec:
    """Signs and reads login cookies; `idle` and `lifetime` in seconds."""

    def __init__(self, keys: Sequence[str], site_id: str, idle: float, lifetime: float) -> None:
        if not keys:
            raise ValueError("LoginCodec needs at least one key")
        self._macs = [KeyedHash(hmac.digest(k.encode(), b"consentkit.console|" + site_id.encode(), hashlib.sha256))
                      for k in keys]
        self.idle, self.lifetime = idle, lifetime

    def encode(self, login: Login) -> str:
        body = json.dumps([login.sid, login.user, login.fingerprint, round(login.started, 3), round(login.seen, 3)],
                          separators=(",", ":"), ensure_ascii=True)
        payload = base64.urlsafe_b64encode(body.encode("ascii")).rstrip(b"=")
        return f"{payload.decode('ascii')}.{_b64(self._macs[0].digest(payload))}"

    def decode(self, value: str, now: float) -> Login | None:
        """The login a cookie value carries, or None: unsigned, unreadable, idle too long or too old."""
        if not value or len(value) > MAX_COOKIE or not value.isascii():
            return None
        payload, dot, mac = value.partition(".")
        if not dot:
            return None
        raw = payload.encode("ascii")
        if not any(hmac.compare_digest(_b64(m.digest(raw)), mac) for m in self._macs):
            return None
        login = _parse(raw)
        if login is None or now - login.seen > self.idle or now - login.started > self.lifetime:
            return None
        if login.seen > now + 60 or login.started > login.seen:  # written by a clock far ahead: not believed
            return None
        return login


def _parse(raw: bytes) -> Login | None:
    try:
        fields = json.loads(base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    if not (isinstance(fields, list) and len(fields) == 5):
        return None
    sid, user, fingerprint, started, seen = fields
    if not all(isinstance(f, str) for f in (sid, user, fingerprint)):
        return None
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in (started, seen)):
        return None
    if not sid:
        return None
    return Login(sid, user, fingerprint, float(started), float(seen))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data[:MAC_BYTES]).rstrip(b"=").decode("ascii")
