"""The regime in the ledger: stored on SQLite and PostgreSQL, covered by the hash when set, and
records from before it (schema version 4, no regime) still verify in the same chain."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from consentkit.ledger import GENESIS, LedgerDraft, pii_digest, record_hash, seal, verify
from consentkit.storage import open_store
from consentkit.storage.base import Store
from consentkit.storage.schema import migrations

T0 = 1_764_000_000.0


def draft(i: int, regime: str | None) -> LedgerDraft:
    return LedgerDraft(T0 + i, f"consent-{i:05d}", ("analytics",), ("marketing",), "1", "h" * 64, False,
                       i % 2 == 0, "banner", "81.2.69.0", "u" * 32, regime)


def test_a_record_without_a_regime_hashes_as_before() -> None:
    d = draft(1, None)
    digest = pii_digest(d.ip, d.ua_hash)
    # the formula records were sealed with before the regime existed, written out
    core = [1, repr(float(d.ts)), d.consent_id, ["analytics"], ["marketing"], "1", "h" * 64, False, False,
            "banner", digest]
    before = hashlib.sha256((GENESIS + "\n" + json.dumps(core, separators=(",", ":"))).encode()).hexdigest()
    assert record_hash(GENESIS, 1, d, digest) == before == seal(d, 1, GENESIS).hash
    assert record_hash(GENESIS, 1, replace(d, regime="gdpr"), digest) != before


def test_regimes_round_trip_and_are_covered_by_the_hash(store: Store) -> None:
    written = [store.append_ledger(draft(i, r)) for i, r in enumerate([None, "gdpr", "us_opt_out", None])]
    stored = list(store.ledger())
    assert stored == written and [r.regime for r in stored] == [None, "gdpr", "us_opt_out", None]
    assert verify(stored).ok
    store.execute("UPDATE ck_ledger SET regime = ? WHERE seq = 3", ["gdpr"])
    verdict = verify(store.ledger())
    assert not verdict.ok and verdict.bad_seq == 3
    store.execute("UPDATE ck_ledger SET regime = ? WHERE seq = 1", ["gdpr"])  # a regime added afterwards
    assert verify(store.ledger()).bad_seq == 1


def test_a_ledger_of_schema_version_4_migrates_and_verifies(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in migrations("sqlite")[:4]:
        for sql in step:
            conn.execute(sql)
    conn.execute("CREATE TABLE ck_schema (version INTEGER NOT NULL)")
    conn.executemany("INSERT INTO ck_schema (version) VALUES (?)", [(v,) for v in range(1, 5)])
    prev = GENESIS
    for seq in (1, 2):
        rec = seal(draft(seq, None), seq, prev)
        conn.execute(
            "INSERT INTO ck_ledger (seq, ts, consent_id, granted, denied, policy_version, shown_hash, dnt, gpc, "
            "source, ip, ua_hash, pii_digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rec.seq, rec.ts, rec.consent_id, json.dumps(rec.granted), json.dumps(rec.denied), rec.policy_version,
             rec.shown_hash, rec.dnt, rec.gpc, rec.source, rec.ip, rec.ua_hash, rec.pii_digest, rec.prev_hash,
             rec.hash),
        )
        prev = rec.hash
    conn.close()
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.query("SELECT MAX(version) FROM ck_schema") == [(len(migrations("sqlite")),)]
        store.append_ledger(draft(3, "us_opt_out"))
        records = list(store.ledger())
        assert [r.regime for r in records] == [None, None, "us_opt_out"]
        assert verify(records).ok
    finally:
        store.close()
