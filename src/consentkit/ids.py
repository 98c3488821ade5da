"""Visitor and session ids in their cookies, signed so that only ids this site issued are believed.

A cookie holds ``<id>.<mac>``: the 22-character id and 128 bits of HMAC-SHA256 over the id's kind and
the id, keyed from `secret_keys` (the first signs, all verify, as for the choice cookie) and the
site's `site_id`. A value that does not verify reads as no id, and a new one is issued: knowing
another visitor's id is not enough to write page views into that visitor's history.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from consentkit.consent import is_id
from consentkit.keyedhash import KeyedHash

IdKind = Literal["visitor", "session"]
ID_CHARS = 22
MAC_BYTES = 16
TOKEN_CHARS = ID_CHARS + 1 + 22
"""The length of a signed id: id, dot, the MAC in unpadded URL-safe base64."""
_KIND: dict[IdKind, bytes] = {"visitor": b"v|", "session": b"s|"}
"""Domain separation: a session id's cookie is not a visitor id's."""


class IdSigner:
    def __init__(self, keys: Sequence[str], site_id: str = "") -> None:
        if not keys:
            raise ValueError("IdSigner needs at least one key")
        # Per key and kind, the HMAC states with the kind absorbed: an id then costs two short hashes.
        self._macs = [{kind: KeyedHash(_id_key(key, site_id), prefix) for kind, prefix in _KIND.items()}
                      for key in keys]

    def sign(self, kind: IdKind, ident: str) -> str:
        """The cookie value for `ident`, signed with the first key."""
        return f"{ident}.{_mac(self._macs[0][kind], ident)}"

    def verify(self, kind: IdKind, value: str) -> str:
        """The id a cookie value carries, or "" when this site did not issue it (any key)."""
        if len(value) != TOKEN_CHARS or value[ID_CHARS] != ".":
            return ""
        ident, mac = value[:ID_CHARS], value[ID_CHARS + 1:]
        if not is_id(ident) or not mac.isascii():  # compare_digest refuses other str
            return ""
        for macs in self._macs:
            if hmac.compare_digest(_mac(macs[kind], ident), mac):
                return ident
        return ""


def _mac(keyed: KeyedHash, ident: str) -> str:
    return base64.urlsafe_b64encode(keyed.digest(ident.encode("ascii"))[:MAC_BYTES]).rstrip(b"=").decode("ascii")


def _id_key(secret: str, site_id: str) -> bytes:
    """A key of its own for ids, so that no id MAC is ever a valid MAC of another of consentkit's uses."""
    return hmac.digest(secret.encode(), b"consentkit.ids|" + site_id.encode(), hashlib.sha256)
