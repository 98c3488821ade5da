"""CSRF tokens of the console's forms: one per login cookie id, checked on every POST.

The token is an HMAC of the cookie's id under a key of its own, so it is worth nothing without that
browser's cookie, and a form from another site (which cannot read the cookie) cannot carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from consentkit.keyedhash import KeyedHash

FIELD = "csrf"
"""The hidden form field every console form carries."""
MAX_TOKEN = 128


class CsrfTokens:
    def __init__(self, keys: Sequence[str], site_id: str) -> None:
        self._macs = [KeyedHash(hmac.digest(k.encode(), b"consentkit.console.csrf|" + site_id.encode(), hashlib.sha256))
                      for k in keys]

    def token(self, sid: str) -> str:
        return self._token(self._macs[0], sid)

    def valid(self, sid: str, submitted: str) -> bool:
        """Whether `submitted` is the token of `sid` under any key (constant time per key)."""
        if not sid or not submitted or len(submitted) > MAX_TOKEN or not submitted.isascii():
            return False
        return any(hmac.compare_digest(self._token(m, sid), submitted) for m in self._macs)

    @staticmethod
    def _token(mac: KeyedHash, sid: str) -> str:
        return base64.urlsafe_b64encode(mac.digest(sid.encode("utf-8", "surrogatepass"))).rstrip(b"=").decode("ascii")
