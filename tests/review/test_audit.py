"""`audit`: everything stored checked against the consent it claims, on both engines."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from consentkit.cli import main
from consentkit.config import ConsentConfig
from consentkit.ledger import LedgerDraft, verify
from consentkit.review import AuditReport, audit, erase_subject, last_run
from consentkit.storage import Store, open_store

DAY = 86400.0
NOW = time.time()
T0 = NOW - 10 * DAY
KEY = "k" * 40
CA, CB = "c" * 22, "d" * 22


def config(**overrides: Any) -> ConsentConfig:
    return ConsentConfig(secret_keys=[KEY], **overrides)


def ev(ts: float, consent: str | None = CA, *, visitor: str | None = "v" * 22, policy: str = "1",
       basis: str | None = "analytics,necessary", **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "kind": "pageview", "method": "GET", "host": "example.com", "path": "/", "status": 200,
            "visitor_id": visitor, "session_id": "s" * 22 if visitor else None, "consent_id": consent,
            "policy_version": policy, "basis": basis, "browser": "Firefox", "truncated": False, **extra}


def choice(consent_id: str, ts: float, granted: tuple[str, ...] = ("analytics",), policy: str = "1") -> LedgerDraft:
    return LedgerDraft(ts, consent_id, granted, (), policy, "h" * 64, False, False, "banner", "81.2.69.0", "u" * 32)



def findings(report: AuditReport, check: str) -> list[str]:
    return [f"{f.subject}: {f.detail}" for f in report.findings if f.check == check]


def run(store: Store, cfg: ConsentConfig | None = None, **kw: Any) -> AuditReport:
    return audit(store, cfg or config(), now=NOW, **kw)


def test_a_store_that_matches_its_consent_passes_every_check(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + 1), ev(T0 + 2), ev(T0 + 3, visitor=None, browser=None, basis="necessary")])
    report = run(store)
    assert report.ok, report.findings
    assert report.events == 3 and report.ledger_head[0] == 1
    by_check = {c.check: c for c in report.checks}
    assert by_check["consent"].checked == 3 and by_check["ledger"].checked == 1
    assert set(by_check) == {"consent", "categories", "erasure", "retention", "ledger", "cookies", "access"}


def test_an_event_needs_a_ledger_record_in_effect_at_its_time_of_its_policy_version(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.write_events([
        ev(T0 - 5),  # before the choice was made
        ev(T0 + 1, consent=CB),  # a consent id the ledger never saw
        ev(T0 + 2, policy="2"),  # the record in effect is of version 1
        ev(T0 + 3),  # fine
    ])
    report = run(store)
    got = findings(report, "consent")
    assert len(got) == 3, got
    assert any(f"consent id {CA} has no ledger record at or before" in f for f in got)
    assert any(f"consent id {CB} has no ledger record" in f for f in got)
    assert any("policy version '2'" in f for f in got)
    assert not report.ok


def test_a_field_group_needs_a_category_the_record_in_effect_granted(store: Store) -> None:
    store.append_ledger(choice(CA, T0, ("analytics",)))
    store.append_ledger(choice(CA, T0 + 100, ()))  # withdrawn
    store.write_events([
        ev(T0 + 50),  # granted then
        ev(T0 + 150),  # browser stored after the withdrawal
        ev(T0 + 160, browser=None, visitor=None),  # nothing of analytics: fine
    ])
    report = run(store)
    got = findings(report, "categories")
    assert len(got) == 3, got  # browser, visitor_id, session_id of the event after the withdrawal
    assert all("not granted by ledger record 2" in f for f in got)
    assert {c.check: c.findings for c in report.checks}["categories"] == 3


def test_a_field_group_denied_by_a_signal_at_collection_is_a_finding(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + 1, visitor=None, basis="necessary")])  # browser kept though GPC denied analytics
    got = findings(run(store), "categories")
    assert len(got) == 1 and "not in effect when it was collected" in got[0]


def test_without_a_choice_only_default_categories_may_be_collected(store: Store) -> None:
    store.write_events([ev(T0 + 1, consent=None, visitor=None)])
    assert len(findings(run(store), "categories")) == 1
    assert run(store, config(default_granted=("analytics",))).ok


def test_a_field_group_the_configuration_does_not_collect_is_a_finding(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + 1, visitor=None, country="DE")])
    cfg = config(collection={"fields": {"browser": "analytics"}})
    got = findings(run(store, cfg), "categories")
    assert len(got) == 1 and "'geo' is stored, but the configuration collects it under no category" in got[0]


def test_events_are_read_in_pages_with_equal_times_neither_skipped_nor_repeated(store: Store) -> None:
    from consentkit.review.audit import consent_rules
    from consentkit.review.audit_checks import check_events
    from consentkit.review.findings import FindingLog

    store.append_ledger(choice(CA, T0, ()))
    store.write_events([ev(T0 + 1 + i // 4) for i in range(23)])  # four events per time, none allowed
    log = FindingLog(listed=1000)
    steps: list[int] = []
    assert check_events(store, consent_rules(config()), log, steps.append, batch=5) == 23
    assert sum(steps) == 23 and max(steps) == 5
    events = {f.subject for f in log.kept}
    assert len(events) == 23 and log.counts["categories"] == 23 * 3


def test_anything_left_of_an_erased_subject_is_a_finding(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + 1), ev(T0 + 2)])
    stone = erase_subject(store, CA)
    assert run(store).ok
    store.write_events([ev(T0 + 3)])  # restored from a backup, say
    store.execute("UPDATE ck_ledger SET ip = '81.2.69.0', ua_hash = ? WHERE consent_id = ?", ["u" * 32, CA])
    store.write_events([ev(stone.erased_at + 60)])  # the visitor came back later: new data, not a finding
    got = findings(run(store), "erasure")
    assert len(got) == 2, got
    assert any("1 event(s) of erased subject" in f for f in got)
    assert any("still hold personal fields" in f for f in got)
    assert verify(store.ledger()).ok  # the ledger alone cannot tell


def test_what_is_older_than_its_retention_is_a_finding(store: Store) -> None:
    cfg = config(categories=[
        {"key": "necessary", "title": "N", "required": True},
        {"key": "analytics", "title": "A", "retention_days": 30},
        {"key": "marketing", "title": "M", "retention_days": 7},
    ], collection={"fields": {"browser": "analytics", "utm": "marketing"}})
    store.append_ledger(choice(CA, NOW - 60 * DAY, ("analytics", "marketing")))
    both = "analytics,marketing,necessary"
    store.write_events([ev(NOW - 40 * DAY, visitor=None),
                        ev(NOW - 9 * DAY, visitor=None, utm_source="news", basis=both),
                        ev(NOW - DAY, visitor=None, utm_source="news", basis=both)])
    store.add_counts({("2000-01-01", "pageviews", "/"): 1})
    report = audit(store, cfg, now=NOW)
    got = findings(report, "retention")
    assert len(got) == 3, got
    assert {c.check: c.findings for c in report.checks}["retention"] == 3
    assert any("utm_source" in f for f in got)
    assert [c.check for c in report.checks if not c.ok] == ["retention"]
    store.execute("DELETE FROM ck_counts")
    store.execute("DELETE FROM ck_events WHERE ts < ?", [NOW - 30 * DAY])
    assert not audit(store, cfg, now=NOW).ok
    assert audit(store, cfg, now=NOW, retention_grace_days=3).ok


def test_an_edited_ledger_is_a_finding(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.append_ledger(choice(CB, T0 + 1))
    store.execute("UPDATE ck_ledger SET granted = ? WHERE seq = 1", ['["analytics", "marketing"]'])
    got = findings(run(store), "ledger")
    assert got and got[0].startswith("ledger record 1: content does not match its hash")


def test_a_ledger_cut_short_since_the_last_audit_is_a_finding(store: Store) -> None:
    for i in range(3):
        store.append_ledger(choice(CA, T0 + i))
    first = run(store)
    assert first.ok and first.run_id is not None and first.ledger_head[0] == 3
    store.execute("DELETE FROM ck_ledger WHERE seq = 3")
    if store.dialect == "postgres":  # a careful intruder fixes the stored head too
        store.execute("UPDATE ck_ledger_head SET seq = 2, hash = (SELECT hash FROM ck_ledger WHERE seq = 2)")
    assert verify(store.ledger()).ok  # what is left still verifies
    second = run(store)
    got = findings(second, "ledger")
    assert len(got) == 1 and "the last audit saw it end at 3: records were removed from its end" in got[0]
    assert second.previous is not None and second.previous.id == first.run_id


def test_a_ledger_whose_tail_was_replaced_is_a_finding(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    store.append_ledger(choice(CA, T0 + 1))
    assert run(store).ok
    store.execute("DELETE FROM ck_ledger WHERE seq = 2")
    if store.dialect == "postgres":
        store.execute("UPDATE ck_ledger_head SET seq = 1, hash = (SELECT hash FROM ck_ledger WHERE seq = 1)")
    store.append_ledger(choice(CA, T0 + 1, ()))  # a different record 2
    store.append_ledger(choice(CA, T0 + 2, ()))
    got = findings(run(store), "ledger")
    assert len(got) == 1 and "the chain was rewritten" in got[0]


def test_not_recording_leaves_the_previous_run_as_the_reference(store: Store) -> None:
    store.append_ledger(choice(CA, T0))
    first = run(store)
    run(store, record=False)
    run_now = last_run(store)
    assert run_now is not None and run_now.id == first.run_id


def test_undeclared_cookies_are_reported_once_since_the_last_audit(store: Store) -> None:
    today = time.strftime("%Y-%m-%d", time.gmtime(NOW))
    store.add_counts({(today, "cookie.undeclared.reported", "_tracker"): 2,
                      (today, "cookie.stripped", "_ga|analytics"): 5})
    first = run(store)
    assert findings(first, "cookies") == ["cookie _tracker: undeclared: set 2 time(s) since the last audit (let "
                                          "through)"]
    assert run(store).ok
    store.add_counts({(today, "cookie.undeclared.reported", "_tracker"): 1,
                      (today, "cookie.undeclared.blocked", "_other"): 4})
    got = findings(run(store), "cookies")
    assert got == ["cookie _other: undeclared: set 4 time(s) since the last audit (removed)",
                   "cookie _tracker: undeclared: set 1 time(s) since the last audit (let through)"]
    recorded = last_run(store)
    assert recorded is not None and recorded.findings == 2  # one per cookie


def test_findings_are_all_counted_but_listed_only_up_to_the_bound(store: Store) -> None:
    store.write_events([ev(T0 + i, consent=CB) for i in range(30)])
    report = run(store, listed=4)
    assert len(findings(report, "consent")) == 4
    assert {c.check: c.findings for c in report.checks}["consent"] == 30


# -- the command ------------------------------------------------------------------------------------
def test_the_command_exits_1_on_a_finding_writes_json_and_stays_quiet_when_piped(
    any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(any_store_url)
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + 1)])
    store.close()
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "{any_store_url}"\n')
    out_json = tmp_path / "audit.json"
    assert main(["audit", "--config", str(cfg), "--json", str(out_json)]) == 0
    captured = capsys.readouterr()
    assert "OK: nothing stored outside consent" in captured.out
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    doc = json.loads(out_json.read_text())
    assert doc["ok"] is True and doc["events"] == 1 and doc["ledger_head"]["seq"] == 1

    store = open_store(any_store_url)
    store.write_events([ev(T0 + 2, consent=CB)])
    store.close()
    assert main(["audit", "--config", str(cfg), "--json", "-"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["ok"] is False and doc["previous"]["ledger_seq"] == 1
    assert [f["check"] for f in doc["findings"]] == ["consent"]
    assert "FAILED: 1 finding(s)" in captured.err


def test_the_command_never_creates_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mistyped = tmp_path / "new" / "dmeo.db"
    for command in (["audit"], ["stats"], ["audit", "--no-record"]):
        assert main([*command, "--storage-url", f"sqlite:///{mistyped}"]) == 1
        assert "no SQLite database" in capsys.readouterr().err
    assert not mistyped.parent.exists()


def test_the_command_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess

    from servers import BIN

    url = f"sqlite:///{tmp_path / 'ck.db'}"
    store = open_store(url)
    store.append_ledger(choice(CA, T0))
    store.write_events([ev(T0 + i) for i in range(12_000)])
    store.close()
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(f'secret_keys = ["{KEY}"]\nstorage_url = "{url}"\n')
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(BIN / "consentkit"), "audit", "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    assert proc.wait(60) == 0
    assert b"auditing [" in seen and b"100% 12,000/12,000" in seen
    assert "OK: nothing stored outside consent" in out and "auditing" not in out
