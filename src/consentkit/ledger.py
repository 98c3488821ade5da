"""The consent ledger: an append-only, hash-chained record of every choice.

Each record's hash covers the previous record's hash and the record itself. Personal fields
(masked IP, user-agent hash) enter the hash only through their digest, so erasing them for a data
subject keeps the chain verifiable while the digest still proves nothing else changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class LedgerDraft:
    """A choice about to be recorded; the store assigns seq and chains it."""

    ts: float
    consent_id: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    policy_version: str
    shown_hash: str
    dnt: bool
    gpc: bool
    source: str
    ip: str | None
    ua_hash: str | None
    regime: str | None = None
    """The regional regime the choice was made under; None where the site has no `regions`."""


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    seq: int
    ts: float
    consent_id: str
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    policy_version: str
    shown_hash: str
    dnt: bool
    gpc: bool
    source: str
    ip: str | None
    ua_hash: str | None
    pii_digest: str
    prev_hash: str
    hash: str
    regime: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in self.__slots__}


def pii_digest(ip: str | None, ua_hash: str | None) -> str:
    return hashlib.sha256(json.dumps([ip, ua_hash]).encode()).hexdigest()


def record_hash(prev_hash: str, seq: int, d: LedgerDraft | LedgerRecord, digest: str) -> str:
    core = [
        seq, repr(float(d.ts)), d.consent_id, sorted(d.granted), sorted(d.denied), d.policy_version,
        d.shown_hash, d.dnt, d.gpc, d.source, digest,
    ]
    if d.regime is not None:  # records without a regime hash as they always did, so they still verify
        core.append(d.regime)
    blob = prev_hash + "\n" + json.dumps(core, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def seal(draft: LedgerDraft, seq: int, prev_hash: str) -> LedgerRecord:
    """The record to store as number `seq` after a record whose hash is `prev_hash`."""
    digest = pii_digest(draft.ip, draft.ua_hash)
    return LedgerRecord(
        seq, draft.ts, draft.consent_id, tuple(sorted(draft.granted)), tuple(sorted(draft.denied)),
        draft.policy_version, draft.shown_hash, draft.dnt, draft.gpc, draft.source, draft.ip, draft.ua_hash,
        digest, prev_hash, record_hash(prev_hash, seq, draft, digest), draft.regime,
    )


class UnreadableRecord(ValueError):
    """A stored record that cannot be read back as a record (its categories not a JSON list of
    names, say): damaged or edited by hand. `verify` reports it as the first bad record."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"ledger record {seq}: {reason}")
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} ledger records verified"
        return f"BAD: record {self.bad_seq}: {self.reason} ({self.checked} records checked before it)"


def verify(records: Iterable[LedgerRecord]) -> Verdict:
    """Walk the chain in order and name the first record that does not fit (or cannot be read)."""
    prev = GENESIS
    expected_seq: int | None = None
    n = 0
    walk = iter(records)
    while True:
        try:
            r = next(walk)
        except StopIteration:
            return Verdict(True, n)
        except UnreadableRecord as exc:
            return Verdict(False, n, exc.seq, exc.reason)
        if expected_seq is not None and r.seq != expected_seq:
            return Verdict(False, n, r.seq, f"sequence gap: expected {expected_seq}")
        if r.prev_hash != prev:
            return Verdict(False, n, r.seq, "does not link to the record before it")
        erased = r.ip is None and r.ua_hash is None
        if not erased and pii_digest(r.ip, r.ua_hash) != r.pii_digest:
            return Verdict(False, n, r.seq, "personal fields changed")
        if record_hash(prev, r.seq, r, r.pii_digest) != r.hash:
            return Verdict(False, n, r.seq, "content does not match its hash")
        prev = r.hash
        expected_seq = r.seq + 1
        n += 1


def shown_hash(*parts: object) -> str:
    """Hash of what the visitor was shown (texts, category descriptions), as proof of what they agreed to."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
