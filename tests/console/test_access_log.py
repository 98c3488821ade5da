"""The console's access log: append-only and chained, so that `consentkit audit` finds an edited,
removed or inserted row, on both engines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from consentkit.cli import main
from consentkit.console.access_log import append, entries, recent, verify
from consentkit.storage import Store, open_store

KEY = "k" * 40


def fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        append(store, 1_780_000_000.0 + i, "olga", "officer", "127.0.0.1", "subject.view", f"vis-{i}",
               {"page": "subjects", "n": str(i)})


def test_rows_chain_and_verify_and_read_back_newest_first(store: Store) -> None:
    fill(store)
    got = list(entries(store, batch=2))
    assert [e.seq for e in got] == [1, 2, 3, 4, 5]
    assert got[1].prev_hash == got[0].hash and json.loads(got[4].detail) == {"n": "4", "page": "subjects"}
    assert str(verify(got)) == "OK: 5 access log rows verified"
    assert [e.subject for e in recent(store, limit=2)] == ["vis-4", "vis-3"]
    assert [e.seq for e in recent(store, subject="vis-2")] == [3]


def test_what_a_row_holds_is_bounded_and_storable(store: Store) -> None:
    detail = {f"k{i}": "v" * 9000 for i in range(50)}
    entry = append(store, 1.0, "u" * 1000, "officer", "::1", "x\x00y", "s" * 5000, detail)
    assert len(entry.user) == 256 and entry.action == "x\ufffdy" and len(entry.subject) == 256
    kept = json.loads(entry.detail)
    assert len(kept) == 32 and all(len(v) == 2000 for v in kept.values())
    assert verify(entries(store)).ok


def audited(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A filled access log and a first recorded audit that finds nothing; the config file."""
    store = open_store(url)
    fill(store)
    store.close()
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "{url}"\n')
    assert main(["audit", "--config", str(cfg)]) == 0
    assert "access" in capsys.readouterr().out
    return cfg


def access_findings(cfg: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Another audit, which must find something: its findings of the access check."""
    assert main(["audit", "--config", str(cfg), "--json", "-"]) == 1
    doc = json.loads(capsys.readouterr().out)
    return [f"{f['subject']}: {f['detail']}" for f in doc["findings"] if f["check"] == "access"]


@pytest.mark.parametrize(("tamper", "reason"), [
    ("UPDATE ck_access_log SET subject = 'someone-else' WHERE seq = 3", "row 3: content does not match its hash"),
    ("DELETE FROM ck_access_log WHERE seq = 2", "row 3: sequence gap: expected 2"),
    ("UPDATE ck_access_log SET hash = 'f' || substr(hash, 2) WHERE seq = 4", "row 4: content does not match"),
])
def test_audit_finds_a_tampered_access_log(any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           tamper: str, reason: str) -> None:
    cfg = audited(any_store_url, tmp_path, capsys)
    store = open_store(any_store_url)
    store.execute(tamper)
    store.close()
    found = access_findings(cfg, capsys)
    assert len(found) == 1 and found[0].startswith("access log " + reason.split(":")[0]), found
    assert reason.split(": ", 1)[1] in found[0]


def _cut(store: Store) -> None:
    store.execute("DELETE FROM ck_access_log WHERE seq >= 4")


def _rewritten(store: Store) -> None:  # the last two rows replaced by a chain that verifies on its own
    store.execute("DELETE FROM ck_access_log WHERE seq >= 4")
    fill(store, 2)


@pytest.mark.parametrize(("tamper", "reason"), [
    (_cut, "row 5: the log ends at row 3, but the last audit saw it end at 5"),
    (_rewritten, "row 5: the row the last audit saw as the log's end is missing or has another hash"),
])
def test_audit_finds_rows_cut_or_replaced_at_the_end_since_the_last_audit(
    any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: Callable[[Store], None],
    reason: str,
) -> None:
    """A chain whose last rows are deleted, or replaced by rows chained anew, still verifies on its
    own: the audit remembers where the log ended when it last ran."""
    cfg = audited(any_store_url, tmp_path, capsys)
    store = open_store(any_store_url)
    tamper(store)
    assert verify(entries(store)).ok  # the chain alone cannot tell
    store.close()
    found = access_findings(cfg, capsys)
    assert any(f.startswith("access log " + reason) for f in found), found


def test_concurrent_appends_keep_one_unbroken_chain(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def user(n: int) -> None:
        for i in range(10):
            append(store, 1_780_000_000.0 + i, f"user-{n}", "reviewer", "127.0.0.1", "subject.view", f"v{n}-{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(user, range(4)))
    got = list(entries(store))
    assert [e.seq for e in got] == list(range(1, 41)) and verify(got).ok
    assert len({e.subject for e in got}) == 40
