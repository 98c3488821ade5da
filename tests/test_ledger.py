from __future__ import annotations

import time
from pathlib import Path

import pytest

from consentkit.cli import main
from consentkit.ledger import LedgerDraft, verify
from consentkit.storage import open_store


def draft(i: int, ip: str | None = "81.2.69.0") -> LedgerDraft:
    return LedgerDraft(time.time(), f"consent{i:015d}xxxxxx"[:22], ("analytics",), ("marketing",), "1",
                       "h" * 64, False, i % 2 == 0, "banner", ip, "u" * 32)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def test_records_chain_and_verify(store_url: str) -> None:
    store = open_store(store_url)
    recs = [store.append_ledger(draft(i)) for i in range(5)]
    assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
    assert recs[1].prev_hash == recs[0].hash
    verdict = verify(store.ledger())
    assert verdict.ok and verdict.checked == 5


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE ck_ledger SET granted = '[\"analytics\", \"marketing\"]' WHERE seq = 3", "content does not match"),
        ("UPDATE ck_ledger SET ip = '1.2.3.4' WHERE seq = 3", "personal fields changed"),
        ("DELETE FROM ck_ledger WHERE seq = 3", "sequence gap"),
        ("UPDATE ck_ledger SET ts = ts + 1 WHERE seq = 3", "content does not match"),
        ("UPDATE ck_ledger SET granted = 'analytics' WHERE seq = 3", "not readable"),
        ("UPDATE ck_ledger SET denied = '{\"a\": 1}' WHERE seq = 3", "not readable"),
        ("UPDATE ck_ledger SET ts = 'yesterday' WHERE seq = 3", "not readable"),
    ],
)
def test_tampering_names_the_first_bad_record(store_url: str, sql: str, reason: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(store_url)
    for i in range(5):
        store.append_ledger(draft(i))
    store.execute(sql)
    verdict = verify(store.ledger())
    assert not verdict.ok
    assert verdict.bad_seq in (3, 4) and reason in verdict.reason
    assert main(["ledger", "verify", "--storage-url", store_url]) == 1
    assert "BAD: record" in capsys.readouterr().out


def test_verify_command_ok(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(store_url)
    store.append_ledger(draft(1))
    assert main(["ledger", "verify", "--storage-url", store_url]) == 0
    assert capsys.readouterr().out.startswith("OK: 1 ledger records verified")


def test_erasing_personal_fields_keeps_the_chain_verifiable(store_url: str) -> None:
    store = open_store(store_url)
    for i in range(3):
        store.append_ledger(draft(i))
    store.execute("UPDATE ck_ledger SET ip = NULL, ua_hash = NULL WHERE seq = 2")
    assert verify(store.ledger()).ok
