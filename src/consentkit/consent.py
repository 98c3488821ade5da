"""The visitor's choice: a compact signed cookie, and the per-request state apps see."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadData, TimestampSigner

from consentkit.boundedcache import BoundedCache
from consentkit.policy import Effective
from consentkit.signals import NO_SIGNALS, Signals
from consentkit.strict import CATEGORY_KEY

MAX_COOKIE_VALUE = 512
_CID = re.compile(r"^[A-Za-z0-9_\-]{22}\Z")
_CAT = re.compile(CATEGORY_KEY)
_SIG_CODES = {"": NO_SIGNALS, "d": Signals(True, False), "g": Signals(False, True), "dg": Signals(True, True)}


def new_id() -> str:
    """128 random bits, URL-safe: consent ids, visitor ids and session ids."""
    return secrets.token_urlsafe(16)


def is_id(value: str) -> bool:
    return bool(_CID.match(value))


@dataclass(frozen=True, slots=True)
class Choice:
    consent_id: str
    granted: frozenset[str]
    policy_version: str
    decided_at: float
    signals: Signals = NO_SIGNALS
    """The signals present when the visitor chose (for the explicit-opt-in override)."""


class ChoiceCodec:
    """Signs and verifies the choice cookie; verified values are cached (itsdangerous costs ~15-50 µs).

    Layout before signing: ``consent_id~policy~cat-cat-cat~signals``; itsdangerous appends the time
    and an HMAC-SHA256, keyed from the site's keys and `site_id`. Anything that fails to verify
    (another site's cookie too), has expired, names another policy version or is malformed reads as
    "no choice yet" — never as a grant.
    """

    def __init__(
        self, keys: list[str], policy_version: str, max_age_s: int, known: frozenset[str], cache_size: int = 8192,
        site_id: str | None = None,
    ) -> None:
        # The salt is part of itsdangerous's key derivation: a site_id binds the signature to one site.
        # Without one the salt stays what it always was, so the choices a site holds stay valid.
        salt = "consentkit.choice" if site_id is None else f"consentkit.choice|{site_id}"
        # itsdangerous signs with the *last* key; ours is "the first signs".
        self._signer = TimestampSigner(list(reversed(keys)), salt=salt, digest_method=hashlib.sha256)
        self.policy_version = policy_version
        self.max_age_s = max_age_s
        self.known = known
        self._cache: BoundedCache[str, Choice] = BoundedCache(cache_size)

    def encode(self, choice: Choice) -> str:
        sig = ("d" if choice.signals.dnt else "") + ("g" if choice.signals.gpc else "")
        cats = "-".join(sorted(choice.granted))
        payload = f"{choice.consent_id}~{choice.policy_version}~{cats}~{sig}"
        # TimestampSigner reads the clock itself; the choice time is that timestamp.
        return self._signer.sign(payload).decode("ascii")

    def decode(self, value: str, now: float | None = None) -> Choice | None:
        if not value or len(value) > MAX_COOKIE_VALUE:
            return None
        now = time.time() if now is None else now
        hit = self._cache.get(value)
        if hit is not None:
            return hit if now - hit.decided_at <= self.max_age_s else None
        choice = self._verify(value)
        if choice is None or now - choice.decided_at > self.max_age_s or choice.decided_at > now + 300:
            return None
        self._cache.put(value, choice)
        return choice

    def policy_of(self, value: str) -> str | None:
        """The policy version a validly signed choice cookie names, whichever it is (and however
        old the choice): tells a visitor asked again after a policy change from a new one."""
        if not value or len(value) > MAX_COOKIE_VALUE:
            return None
        try:
            parts = self._signer.unsign(value).decode("ascii").split("~")
        except (BadData, UnicodeDecodeError, ValueError):
            return None
        return parts[1] if len(parts) == 4 else None

    def _verify(self, value: str) -> Choice | None:
        try:
            raw, ts = self._signer.unsign(value, return_timestamp=True)
            text = raw.decode("ascii")
        except (BadData, UnicodeDecodeError, ValueError, OverflowError):
            return None
        parts = text.split("~")
        if len(parts) != 4:
            return None
        cid, policy, cats, sig = parts
        if policy != self.policy_version or not _CID.match(cid) or sig not in _SIG_CODES:
            return None
        granted = frozenset(c for c in cats.split("-") if _CAT.fullmatch(c)) & self.known
        return Choice(cid, granted, policy, ts.timestamp(), _SIG_CODES[sig])


@dataclass(slots=True)
class ConsentState:
    """The request's consent, as apps see it (`scope["consentkit"]`, `environ["consentkit"]`)."""

    _effective: Effective
    signals: Signals
    choice: Choice | None
    policy_version: str
    _counters: Any = field(default=None, repr=False, compare=False)
    """The engine's `ConsentCounters`, so that rendering the banner counts an impression. (Before
    `read`: the engine passes it by position, which spares a keyword dict on every request.)"""
    read: bool = field(default=False, repr=False)
    """Set when the app looked at the consent: its response then depends on it (Vary)."""
    _exchange: Any = field(default=None, repr=False, compare=False)
    """The engine's `Exchange` while its page is served with the chat active, so that
    `chat_html(engine, state)` finds it; cleared when the request finishes."""

    def allows(self, category: str) -> bool:
        self.read = True
        return category in self._effective.categories

    @property
    def effective(self) -> frozenset[str]:
        self.read = True
        return self._effective.categories

    @property
    def choice_made(self) -> bool:
        return self.choice is not None

    @property
    def consent_id(self) -> str | None:
        return self.choice.consent_id if self.choice else None

    @property
    def granted(self) -> frozenset[str]:
        return self.choice.granted if self.choice else frozenset()

    @property
    def conflict(self) -> frozenset[str]:
        return self._effective.conflict

    @property
    def denied_by_signal(self) -> frozenset[str]:
        return self._effective.denied_by_signal

    @property
    def regime(self) -> str | None:
        """The regional regime this request is under (None: the site has no `regions`)."""
        self.read = True
        return self._effective.regime

    @property
    def decided_at(self) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(self.choice.decided_at, dt.UTC) if self.choice else None

    def as_dict(self) -> dict[str, Any]:
        self.read = True
        return {
            "choice_made": self.choice_made,
            "consent_id": self.consent_id,
            "granted": sorted(self.granted),
            "effective": sorted(self._effective.categories),
            "signals": self.signals.as_dict(),
            "denied_by_signal": sorted(self._effective.denied_by_signal),
            "conflict": sorted(self._effective.conflict),
            "policy_version": self.policy_version,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "regime": self._effective.regime,
        }
