"""A store with something on every console page: March 2026's traffic (tests/rollup_data.py), consent
records in the ledger, cookie counters, an audit run, a tombstone."""

from __future__ import annotations

from consentkit.config import ConsentConfig
from consentkit.ledger import LedgerDraft
from consentkit.review import audit, erase_subject, rebuild_rollups
from consentkit.storage import Store
from rollup_data import traffic, utc


def seed(store: Store, config: ConsentConfig) -> None:
    traffic(store)
    for i, visitor in enumerate(["v0", "v1", "v2", "v3", "v4", "v5", "lonely"]):
        store.append_ledger(LedgerDraft(utc(2, 8, i), f"c-{visitor}", ("analytics", "marketing"), (), "1",
                                        "0" * 64, False, i == 3, "banner", "81.2.69.0", "ua-hash"))
    store.add_counts({("2026-03-02", "cookie.lifetime", "_ga|63072000"): 3,
                      ("2026-03-02", "cookie.undeclared.reported", "tracker"): 1,
                      ("2026-03-02", "cookie.stripped", "_fbp|marketing"): 4})
    rebuild_rollups(store, now=utc(4))
    erase_subject(store, "v5")
    audit(store, config, now=utc(4))
