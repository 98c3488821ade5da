"""The review API and commands — events, visits, export, erase, purge — on both engines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentkit.cli import main
from consentkit.ledger import LedgerDraft, verify
from consentkit.review import (
    FIELD_GROUP_COLUMNS,
    erase_subject,
    events,
    export_subject,
    iter_events,
    plan,
    purge,
    tombstones,
    visits,
)
from consentkit.review.cli import ProgressBar, parse_time
from consentkit.storage import Store, open_store
from consentkit.storage.schema import EVENT_FIELDS
from store_checks import assert_subject_file_exact

DAY = 86400.0
T0 = 1_714_564_800.0  # 2024-05-01T12:00:00Z


def ev(ts: float, *, visitor: str | None = "va", session: str | None = "s1", consent: str | None = "ca",
       path: str = "/", kind: str = "pageview", **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "kind": kind, "method": "GET", "host": "example.com", "path": path, "status": 200,
            "visitor_id": visitor, "session_id": session, "consent_id": consent, "policy_version": "1",
            "basis": "analytics,necessary", "truncated": False, **extra}


def draft(consent_id: str, ts: float = T0, ip: str | None = "81.2.69.0") -> LedgerDraft:
    return LedgerDraft(ts, consent_id, ("analytics",), ("marketing",), "1", "h" * 64, False, False, "banner", ip,
                       "u" * 32)



# -- events ---------------------------------------------------------------------------------------
@pytest.fixture
def log(store: Store) -> Store:
    store.write_events([
        ev(T0 + 30, path="/pricing"),
        ev(T0, path="/"),
        ev(T0 + 60, path="/blog/a", visitor="vb", session="s2", consent="cb"),
        ev(T0 + 90, path="/blog/b", visitor="vb", session="s2", consent="cb"),
        ev(T0 + 95, path="/blog/b", kind="beacon", visitor="vb", session="s2", consent="cb", engaged_ms=5000),
        ev(T0 + DAY, path="/blogroll", visitor=None, session=None, consent="cc"),
    ])
    return store


def test_events_are_ordered_and_have_exactly_the_event_fields(log: Store) -> None:
    got = events(log)
    assert [e["path"] for e in got] == ["/", "/pricing", "/blog/a", "/blog/b", "/blog/b", "/blogroll"]
    assert all(tuple(e) == EVENT_FIELDS for e in got)
    assert all(isinstance(e["ts"], float) for e in got)


@pytest.mark.parametrize(
    ("filters", "paths"),
    [
        ({"visitor_id": "vb"}, ["/blog/a", "/blog/b", "/blog/b"]),
        ({"consent_id": "ca"}, ["/", "/pricing"]),
        ({"path": "/blog/b"}, ["/blog/b", "/blog/b"]),
        ({"path": "/blog*"}, ["/blog/a", "/blog/b", "/blog/b", "/blogroll"]),
        ({"path": "/BLOG*"}, []),
        ({"since": T0 + 30, "until": T0 + 90}, ["/pricing", "/blog/a"]),
        ({"kind": "beacon"}, ["/blog/b"]),
        ({"limit": 2}, ["/", "/pricing"]),
        ({"visitor_id": "vb", "kind": "pageview", "limit": 1}, ["/blog/a"]),
        ({"visitor_id": "nobody"}, []),
    ],
)
def test_event_filters(log: Store, filters: dict[str, Any], paths: list[str]) -> None:
    assert [e["path"] for e in events(log, **filters)] == paths


def test_iter_events_pages_through_ties_without_losing_or_repeating(store: Store) -> None:
    store.write_events([ev(T0 + i // 3, path=f"/{i}") for i in range(20)])  # groups of 3 equal timestamps
    paged = [e["path"] for e in iter_events(store, batch=4)]
    assert sorted(paged, key=lambda p: int(p[1:])) == [f"/{i}" for i in range(20)]
    assert len(set(paged)) == 20
    assert [e["path"] for e in iter_events(store, batch=4, limit=6)] == paged[:6]


# -- visits ---------------------------------------------------------------------------------------
def test_visits_are_derived_from_sessions(store: Store) -> None:
    store.write_events([
        # visitor A, first session: three pages and a beacon
        ev(T0, path="/", session="a1", visitor="A"),
        ev(T0 + 20, path="/pricing", session="a1", visitor="A"),
        ev(T0 + 50, path="/signup", session="a1", visitor="A"),
        ev(T0 + 80, path="/signup", kind="beacon", session="a1", visitor="A"),
        # visitor A comes back the next day
        ev(T0 + DAY, path="/docs", session="a2", visitor="A"),
        ev(T0 + DAY + 10, path="/docs/install", kind="pixel", session="a2", visitor="A"),
        # visitor B, one page
        ev(T0 + 100, path="/blog", session="b1", visitor="B"),
        # no session id collected: belongs to no visit
        ev(T0 + 5, path="/x", session=None, visitor=None),
    ])
    got = visits(store)
    assert [(v.session_id, v.visitor_id) for v in got] == [("a1", "A"), ("b1", "B"), ("a2", "A")]
    a1, b1, a2 = got
    assert (a1.entry_page, a1.exit_page, a1.pages) == ("/", "/signup", 3)
    assert (a1.start, a1.end, a1.duration_s) == (T0, T0 + 80, 80.0)
    assert not a1.returning
    assert (b1.entry_page, b1.exit_page, b1.pages, b1.duration_s, b1.returning) == ("/blog", "/blog", 1, 0.0, False)
    assert (a2.entry_page, a2.exit_page, a2.pages, a2.duration_s) == ("/docs", "/docs/install", 2, 10.0)
    assert a2.returning
    # Returning is about the visitor's whole history, not only the selected window.
    (only,) = visits(store, since=T0 + DAY / 2)
    assert only.session_id == "a2" and only.returning
    assert [v.session_id for v in visits(store, visitor_id="A", limit=1)] == ["a1"]
    assert [v.session_id for v in visits(store, until=T0 + 50)] == ["a1"]
    assert a2.as_dict()["start"] == "2024-05-02T12:00:00.000000Z"


# -- export and erasure ---------------------------------------------------------------------------
@pytest.fixture
def people(store: Store) -> Store:
    """Visitor "va" chose twice (consent ids ca, ca2 — linked by their events); "vb" is someone else."""
    store.append_ledger(draft("ca"))
    store.append_ledger(draft("cb"))
    store.append_ledger(draft("ca2", T0 + 100))
    store.append_ledger(draft("c-no-events", T0 + 200))
    store.write_events([
        ev(T0 + 1, visitor="va", consent="ca", ip="81.2.69.0"),
        ev(T0 + 2, visitor="va", consent="ca2", path="/after-new-choice"),
        ev(T0 + 3, visitor=None, session=None, consent="ca2", path="/no-visitor-id"),
        ev(T0 + 4, visitor="vb", session="s9", consent="cb"),
    ])
    return store


def test_export_by_visitor_has_their_events_and_ledger(people: Store) -> None:
    doc = export_subject(people, "va")
    json.dumps(doc)  # one JSON-serialisable document
    assert doc["subject"] == "va"
    assert doc["generated_at"].endswith("Z")
    assert doc["visitor_ids"] == ["va"] and doc["consent_ids"] == ["ca", "ca2"]  # each id under its own kind
    assert [e["path"] for e in doc["events"]] == ["/", "/after-new-choice", "/no-visitor-id"]
    assert doc["events"][0]["ts"] == "2024-05-01T12:00:01.000000Z"
    assert doc["events"][0]["ip"] == "81.2.69.0"
    assert [r["consent_id"] for r in doc["ledger"]] == ["ca", "ca2"]
    assert doc["ledger"][0]["ts"] == "2024-05-01T12:00:00.000000Z"
    assert doc["tombstones"] == []


def test_export_by_consent_id_pulls_in_the_linked_visitor(people: Store) -> None:
    doc = export_subject(people, "ca2")
    assert [e["path"] for e in doc["events"]] == ["/", "/after-new-choice", "/no-visitor-id"]
    assert [r["consent_id"] for r in doc["ledger"]] == ["ca", "ca2"]
    assert doc["visitor_ids"] == ["va"] and doc["consent_ids"] == ["ca", "ca2"]
    only_ledger = export_subject(people, "c-no-events")
    assert only_ledger["events"] == [] and [r["seq"] for r in only_ledger["ledger"]] == [4]
    assert only_ledger["visitor_ids"] == [] and only_ledger["consent_ids"] == ["c-no-events"]
    nobody = export_subject(people, "nobody")
    assert (nobody["visitor_ids"], nobody["consent_ids"], nobody["events"]) == ([], [], [])


def test_erase_leaves_only_the_tombstone_and_a_verifiable_ledger(people: Store) -> None:
    stone = erase_subject(people, "va")
    assert (stone.subject, stone.events_removed, stone.ledger_redacted) == ("va", 3, 2)
    assert stone.consent_ids == ("ca", "ca2")
    assert [e["visitor_id"] for e in events(people)] == ["vb"]  # someone else's data untouched
    assert verify(people.ledger()).ok
    ledger = {r.consent_id: r for r in people.ledger()}
    assert ledger["ca"].ip is None and ledger["ca"].ua_hash is None and ledger["ca2"].ip is None
    assert ledger["cb"].ip == "81.2.69.0"  # not the subject's
    after = export_subject(people, "va")
    assert after["events"] == []
    assert all(r["ip"] is None and r["ua_hash"] is None for r in after["ledger"])
    assert [t["subject"] for t in after["tombstones"]] == ["va"]
    assert after["tombstones"][0]["events_removed"] == 3
    # The tombstone is found from the consent id too, and a second erasure finds nothing more.
    assert [t.id for t in tombstones(people, ["ca2"])] == [stone.id]
    again = erase_subject(people, "ca")
    assert (again.events_removed, again.ledger_redacted) == (0, 0)
    assert len(tombstones(people)) == 2


def test_erase_is_one_transaction(people: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure before the tombstone is written leaves everything as it was."""
    from consentkit.review import subject as subject_module

    class BrokenClock:  # erase_subject reads the clock after deleting and redacting, before the tombstone
        @staticmethod
        def time() -> float:
            raise RuntimeError("clock broke")

    before, ledger_before = events(people), list(people.ledger())
    monkeypatch.setattr(subject_module, "time", BrokenClock)
    with pytest.raises(RuntimeError, match="clock broke"):
        erase_subject(people, "va")
    assert events(people) == before
    assert list(people.ledger()) == ledger_before and ledger_before[0].ip == "81.2.69.0"
    assert tombstones(people) == []


def test_subject_is_required(store: Store) -> None:
    with pytest.raises(ValueError, match="subject"):
        erase_subject(store, "  ")


# -- retention ------------------------------------------------------------------------------------
CATEGORIES = {"necessary": 365, "analytics": 395, "marketing": 90, "chat": 180}
FIELDS = {**dict.fromkeys(FIELD_GROUP_COLUMNS, "analytics"), "utm": "marketing", "ip": "marketing",
          "language": "chat"}
NOW = time.time()  # the purge command uses the real clock


def aged(days: float, i: int) -> dict[str, Any]:
    return ev(NOW - days * DAY, path=f"/{days}d/{i}", ip="81.2.69.0", utm_source="news", click_id="g",
              language="de", country="DE", browser="Firefox")


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    return store.query(f"SELECT {', '.join(EVENT_FIELDS)} FROM ck_events ORDER BY ts, path")


@pytest.fixture
def old_data(store: Store) -> Store:
    rows = [aged(d, i) for d in (10, 100, 200, 400) for i in range(3)]
    rows.append(aged(100, 9) | {"ip": None, "utm_source": None, "click_id": None})  # nothing of marketing's
    store.write_events(rows)

    def day(days_ago: int) -> str:
        return dt.datetime.fromtimestamp(NOW - days_ago * DAY, dt.UTC).date().isoformat()

    store.add_counts({(day(400), "pageviews", "/"): 4, (day(396), "pageviews", "/"): 2, (day(10), "pageviews", "/"): 1})
    store.append_ledger(draft("ca", NOW - 900 * DAY))
    return store


def test_plan_splits_by_retention() -> None:
    p = plan(CATEGORIES, FIELDS)
    assert p.keep_days == 395
    assert p.redact == {
        "marketing": (90, ("ip", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id")),
        "chat": (180, ("language",)),
    }
    with pytest.raises(ValueError, match="unknown field group 'email'"):
        plan(CATEGORIES, {"email": "analytics"})
    with pytest.raises(ValueError, match="has no retention"):
        plan(CATEGORIES, {"ip": "ads"})


def test_purge_dry_run_counts_without_changing_anything(old_data: Store) -> None:
    before, counts_before = snapshot(old_data), old_data.counts()
    seen: list[tuple[int, int]] = []
    report = purge(old_data, CATEGORIES, FIELDS, now=NOW, dry_run=True, progress=lambda d, t: seen.append((d, t)))
    assert report.dry_run
    assert report.events_deleted == 3
    assert report.events_redacted == {"marketing": 6, "chat": 3}  # marketing: 100 and 200 days old; chat: 200
    assert report.counts_deleted == 2
    assert seen and seen[-1][0] == seen[-1][1]
    assert snapshot(old_data) == before and old_data.counts() == counts_before


def test_purge_nulls_short_lived_fields_and_deletes_expired_events(old_data: Store) -> None:
    seen: list[tuple[int, int]] = []
    report = purge(old_data, CATEGORIES, FIELDS, now=NOW, batch=2, progress=lambda d, t: seen.append((d, t)))
    assert report.events_deleted == 3
    assert report.events_redacted == {"marketing": 6, "chat": 3}
    assert report.counts_deleted == 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == seen[-1][1] == 3 + 9 + 2
    assert len(seen) > 5  # batches of 2
    by_age: dict[str, list[dict[str, Any]]] = {}
    for e in events(old_data):
        by_age.setdefault(e["path"].split("/")[1], []).append(e)
    assert sorted(by_age) == ["100d", "10d", "200d"]  # 400 days > 395: gone
    for e in by_age["10d"]:  # young: untouched
        assert (e["ip"], e["utm_source"], e["click_id"], e["language"]) == ("81.2.69.0", "news", "g", "de")
    for e in by_age["100d"] + by_age["200d"]:  # past marketing's 90 days
        assert (e["ip"], e["utm_source"], e["click_id"]) == (None, None, None)
        assert (e["country"], e["browser"], e["visitor_id"]) == ("DE", "Firefox", "va")  # analytics: 395 days
    assert all(e["language"] == "de" for e in by_age["100d"])  # chat: 180 days
    assert all(e["language"] is None for e in by_age["200d"])
    assert [c[3] for c in old_data.counts()] == [1]
    assert verify(old_data.ledger()).ok and len(list(old_data.ledger())) == 1  # the ledger is never purged
    assert_subject_file_exact(old_data)
    again = purge(old_data, CATEGORIES, FIELDS, now=NOW)
    assert (again.events_deleted, again.events_redacted, again.counts_deleted) == (0, {"marketing": 0, "chat": 0}, 0)


# -- the commands ---------------------------------------------------------------------------------
def write_config(tmp_path: Path, url: str) -> Path:
    fields = "\n".join(f'{g} = "{FIELDS[g]}"' for g in FIELD_GROUP_COLUMNS)
    cfg = tmp_path / "consentkit.toml"
    cfg.write_text(
        f'secret_keys = ["{"k" * 40}"]\nstorage_url = "{url}"\n'
        + "".join(
            f'\n[[categories]]\nkey = "{k}"\ntitle = "{k.title()}"\nretention_days = {d}\n'
            + ("required = true\n" if k == "necessary" else "")
            for k, d in CATEGORIES.items()
        )
        + f"\n[collection.fields]\n{fields}\n"
    )
    return cfg


def test_events_command_formats(log: Store, any_store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["events", "--storage-url", any_store_url]
    assert main([*base, "--visitor", "vb", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [x["path"] for x in lines] == ["/blog/a", "/blog/b", "/blog/b"]
    assert tuple(lines[0]) == EVENT_FIELDS and lines[0]["ts"] == "2024-05-01T12:01:00.000000Z"
    assert lines[0]["truncated"] is False and lines[0]["ip"] is None

    assert main([*base, "--path", "/blog*", "--since", "2024-05-01T12:01:30Z", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["path"] for r in rows] == ["/blog/b", "/blog/b", "/blogroll"]
    assert list(rows[0]) == list(EVENT_FIELDS) and rows[0]["truncated"] == "false" and rows[0]["ip"] == ""

    assert main([*base, "--until", "2024-05-01", "--format", "table", "--fields", "ts,path,visitor_id"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ts", "path", "visitor_id"]
    assert out[2].split() == ["2024-05-01T12:00:00.000000Z", "/", "va"]
    assert out[-1] == "(5 events)"  # --until with a date includes that whole day

    assert main([*base, "--format", "table", "--limit", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["ts", "kind", "path"] and table[-1] == "(1 event)"


def test_events_command_rejects_bad_times(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["events", "--storage-url", "sqlite://:memory:", "--since", "yesterday"])
    assert "not a date" in capsys.readouterr().err


def test_progress_bar_draws_in_place() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, "purging", width=10)
    bar.update(0, 200)
    bar.update(200, 200)
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rpurging [----------]   0% 0/200")
    assert "\rpurging [##########] 100% 200/200" in text and text.endswith("\n")
    assert text.count("100%") == 1  # not drawn again on close


def test_parse_time() -> None:
    assert parse_time("2024-05-01") == T0 - 12 * 3600
    assert parse_time("2024-05-01", end=True) == T0 + 12 * 3600
    assert parse_time("2024-05-01T12:00:00") == T0 == parse_time("2024-05-01T14:00:00+02:00")
    assert parse_time(str(T0)) == T0


def test_export_and_erase_commands(people: Store, any_store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--subject", "va", "--storage-url", any_store_url]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["events"]) == 3 and len(doc["ledger"]) == 2

    assert main(["erase", "--subject", "va", "--storage-url", any_store_url]) == 0
    stone = json.loads(capsys.readouterr().out)
    assert stone["subject"] == "va" and stone["events_removed"] == 3 and stone["erased_at"].endswith("Z")

    assert main(["export", "--subject", "va", "--storage-url", any_store_url]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["events"] == [] and after["tombstones"][0]["id"] == stone["id"]
    assert main(["ledger", "verify", "--storage-url", any_store_url]) == 0


def test_export_and_erase_take_an_id_that_begins_with_a_dash(people: Store, any_store_url: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """One id in 64 begins with "-": it is the subject, not an unknown option."""
    dashed = "-" + "x" * 21
    assert main(["export", "--subject", dashed, "--storage-url", any_store_url]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == []
    assert main(["erase", "--subject", dashed, "--storage-url", any_store_url]) == 0
    assert json.loads(capsys.readouterr().out)["subject"] == dashed
    with pytest.raises(SystemExit):  # a missing id is still refused
        main(["export", "--subject", "--storage-url", any_store_url])


def test_purge_command(old_data: Store, any_store_url: str, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, any_store_url)
    before = snapshot(old_data)
    assert main(["purge", "--dry-run", "--config", str(cfg)]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and dry["events_deleted"] == 3
    assert dry["redacted"]["marketing"]["events"] == 6 and dry["redacted"]["chat"]["columns"] == ["language"]
    assert snapshot(old_data) == before

    assert main(["purge", "--config", str(cfg), "--batch-size", "4"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["dry_run"] is False and done["events_deleted"] == 3
    assert len(events(old_data)) == 10
    assert all(e["ip"] is None for e in events(old_data) if not e["path"].startswith("/10d"))


# -- property: erasure removes everything of the subject and keeps the ledger verifiable --------------
IDS = st.sampled_from(["v1", "v2", "v3", "c1", "c2", "c3", None])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(IDS, IDS, st.floats(0, 1e6, allow_nan=False)), max_size=25),
    choices=st.lists(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=6),
    subject=st.sampled_from(["v1", "v2", "c1", "c2", "c4", "nobody"]),
    split=st.integers(0, 25),
)
def test_erasure_property(any_store_url: str, rows: list[tuple[str | None, str | None, float]],
                          choices: list[str], subject: str, split: int) -> None:
    store = open_store(any_store_url)
    try:
        for table in ("ck_events", "ck_ledger", "ck_tombstones"):
            store.execute(f"DELETE FROM {table}")
        if store.dialect == "postgres":
            store.execute("UPDATE ck_ledger_head SET seq = 0, hash = ?", ["0" * 64])
        stored = [ev(T0 + ts, visitor=v, consent=c, ip="81.2.69.0") for v, c, ts in rows]
        store.write_events(stored[:split])  # in two writes: SQLite may file the first and not the second
        store.write_events(stored[split:])
        for c in choices:
            store.append_ledger(draft(c))
        linked = export_subject(store, subject)
        # each id is listed under the kind it is stored as, the subject's own included
        on_events_v = {v for v, _, _ in rows if v is not None}
        stored_c = {c for _, c, _ in rows if c is not None} | set(choices)
        assert set(linked["visitor_ids"]) <= on_events_v and set(linked["consent_ids"]) <= stored_c
        assert (subject in linked["visitor_ids"]) == (subject in on_events_v)
        assert (subject in linked["consent_ids"]) == (subject in stored_c)
        stone = erase_subject(store, subject)
        assert not events(store, visitor_id=subject) and not events(store, consent_id=subject)
        for cid in linked["consent_ids"]:  # the consent ids linked to the subject keep no event either
            assert not events(store, consent_id=cid)
        assert stone.events_removed == len(linked["events"])
        assert len(events(store)) == len(rows) - stone.events_removed
        assert verify(store.ledger()).ok
        assert all(r.ip is None for r in store.ledger(consent_ids=linked["consent_ids"]))
        assert export_subject(store, subject)["events"] == []
        assert_subject_file_exact(store)  # so no id of the subject's erased events is left there either
    finally:
        store.close()
