"""Table layout shared by the SQLite and PostgreSQL stores, and the versioned migrations."""

from __future__ import annotations

EVENT_FIELDS: tuple[str, ...] = (
    "ts", "kind", "method", "host", "path", "status", "duration_ms",
    "referrer_host", "referrer_path", "referrer_class",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "click_id",
    "ip", "country", "region", "city", "asn", "isp",
    "browser", "browser_version", "os", "os_version", "device", "device_brand", "device_model", "is_bot",
    "language", "visitor_id", "session_id", "consent_id", "policy_version", "basis",
    "engaged_ms", "scroll", "clicks", "truncated",
)
"""Stored and exported event fields; a field not allowed for its request is NULL."""

_INT = {"status", "asn", "engaged_ms", "scroll"}
_BOOL = {"is_bot", "truncated"}
_REAL = {"ts", "duration_ms"}


def column_type(name: str, dialect: str) -> str:
    if name in _REAL:
        return "DOUBLE PRECISION" if dialect == "postgres" else "REAL"
    if name in _INT:
        return "BIGINT" if dialect == "postgres" else "INTEGER"
    if name in _BOOL:
        return "BOOLEAN" if dialect == "postgres" else "INTEGER"
    return "TEXT"


def migrations(dialect: str) -> list[list[str]]:
    """Each entry is one schema version: the statements that bring the previous version to it."""
    pg = dialect == "postgres"
    serial = "BIGINT GENERATED ALWAYS AS IDENTITY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "DOUBLE PRECISION" if pg else "REAL"
    blob = "BYTEA" if pg else "BLOB"
    boolean = "BOOLEAN" if pg else "INTEGER"
    cols = ",\n  ".join(f"{f} {column_type(f, dialect)}" for f in EVENT_FIELDS)
    events = (
        f"CREATE TABLE ck_events (\n  id {serial},\n  {cols}\n)" + (" PARTITION BY RANGE (ts)" if pg else "")
    )
    v1 = [
        f"""CREATE TABLE ck_ledger (
          seq BIGINT PRIMARY KEY, ts {real} NOT NULL, consent_id TEXT NOT NULL, granted TEXT NOT NULL,
          denied TEXT NOT NULL, policy_version TEXT NOT NULL, shown_hash TEXT NOT NULL,
          dnt {boolean} NOT NULL, gpc {boolean} NOT NULL, source TEXT NOT NULL, ip TEXT, ua_hash TEXT,
          pii_digest TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
        "CREATE INDEX ck_ledger_consent ON ck_ledger (consent_id)",
        events,
        "CREATE INDEX ck_events_ts ON ck_events (ts)",
        "CREATE INDEX ck_events_visitor ON ck_events (visitor_id, ts)",
        "CREATE INDEX ck_events_consent ON ck_events (consent_id, ts)",
        """CREATE TABLE ck_counts (day TEXT NOT NULL, metric TEXT NOT NULL, key TEXT NOT NULL,
          count BIGINT NOT NULL, PRIMARY KEY (day, metric, key))""",
        f"""CREATE TABLE ck_tombstones (id {serial}, subject TEXT NOT NULL, erased_at {real} NOT NULL,
          events_removed BIGINT NOT NULL, ledger_redacted BIGINT NOT NULL, consent_ids TEXT NOT NULL)""",
        f"CREATE TABLE ck_salts (created_at {real} PRIMARY KEY, salt {blob} NOT NULL)",
    ]
    if pg:
        v1.insert(0, "CREATE TABLE ck_ledger_head (id INT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)")
    return [
        v1, [] if pg else _SQLITE_SUBJECTS, _rollups(pg), _audit_runs(serial, real), _LEDGER_REGIME, _access_log(real),
        _AUDIT_ACCESS_HEAD,
    ]


def _rollups(pg: bool) -> list[str]:
    """Daily aggregates derived from the events (`consentkit.storage.rollups`): per dimension, day and
    value, never an id. PostgreSQL keeps the counts in the key's index too, so a report reads the
    index alone; SQLite keeps the rows in key order (WITHOUT ROWID)."""
    key = "PRIMARY KEY (dim, day, value)" + (" INCLUDE (pageviews, visits, visitors)" if pg else "")
    return [
        f"""CREATE TABLE ck_rollups (dim TEXT NOT NULL, day TEXT NOT NULL, value TEXT NOT NULL,
          pageviews BIGINT NOT NULL, visits BIGINT NOT NULL, visitors BIGINT NOT NULL, {key})"""
        + ("" if pg else " WITHOUT ROWID"),
        f"CREATE TABLE ck_rollup_days (day TEXT PRIMARY KEY, built_at {'DOUBLE PRECISION' if pg else 'REAL'} NOT NULL)",
        # Reports read a few metrics over many days; the key (day, metric, key) would walk every path's counter.
        "CREATE INDEX ck_counts_metric ON ck_counts (metric, day)",
    ]


def _audit_runs(serial: str, real: str) -> list[str]:
    """`consentkit audit` records each run: the ledger head it saw (so the next run detects a chain
    cut short, not only an edited one) and the undeclared-cookie counts of the last day it read
    (so the next run reports only what came after)."""
    return [
        f"""CREATE TABLE ck_audit_runs (id {serial}, started_at {real} NOT NULL, finished_at {real} NOT NULL,
          ledger_seq BIGINT NOT NULL, ledger_hash TEXT NOT NULL, findings BIGINT NOT NULL,
          counted_day TEXT NOT NULL, counted TEXT NOT NULL)""",
    ]


_AUDIT_ACCESS_HEAD = [
    # The access log's last row as an audit saw it, so that the next one detects rows cut from its end.
    "ALTER TABLE ck_audit_runs ADD COLUMN access_seq BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE ck_audit_runs ADD COLUMN access_hash TEXT NOT NULL DEFAULT ''",
]

_LEDGER_REGIME = [
    # The regional regime a choice was made under (NULL: the site had no `regions`); it enters a
    # record's hash only when set, so the records before this column still verify.
    "ALTER TABLE ck_ledger ADD COLUMN regime TEXT",
]
def _access_log(real: str) -> list[str]:
    """The review console's access log (`consentkit.console.access_log`): append-only, hash-chained
    like the ledger."""
    return [
        f"""CREATE TABLE ck_access_log (seq BIGINT PRIMARY KEY, ts {real} NOT NULL, user_name TEXT NOT NULL,
          role TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL,
          detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
        "CREATE INDEX ck_access_log_subject ON ck_access_log (subject, seq)",
    ]


_SQLITE_SUBJECTS = [
    # SQLite: a visitor or consent id is random, so indexing it row by row as events arrive dirties
    # an index page per row; the writer instead files ids into this table in sorted bulk, every
    # `SUBJECT_INDEX_ROWS` events (`ck_subject_mark.upto`: the last event id filed). Lookups take the
    # filed events from here and scan the short unfiled tail (see `SQLiteStore.subject_match`).
    "DROP INDEX ck_events_visitor",
    "DROP INDEX ck_events_consent",
    """CREATE TABLE ck_event_subjects (subject TEXT NOT NULL, event_id INTEGER NOT NULL,
      PRIMARY KEY (subject, event_id)) WITHOUT ROWID""",
    "CREATE TABLE ck_subject_mark (upto INTEGER NOT NULL)",
    "INSERT INTO ck_subject_mark (upto) VALUES (0)",  # the events already stored: `SQLiteStore._after_migration`
    # Deletes and id changes (erasure, retention) keep the table exact by themselves, so no id
    # outlives its event here.
    """CREATE TRIGGER ck_events_subjects_delete AFTER DELETE ON ck_events BEGIN
      DELETE FROM ck_event_subjects WHERE subject IN (OLD.visitor_id, OLD.consent_id) AND event_id = OLD.id;
    END""",
    """CREATE TRIGGER ck_events_subjects_update AFTER UPDATE OF visitor_id, consent_id ON ck_events BEGIN
      DELETE FROM ck_event_subjects WHERE subject IN (OLD.visitor_id, OLD.consent_id) AND event_id = OLD.id;
      INSERT OR IGNORE INTO ck_event_subjects (subject, event_id)
        SELECT s, NEW.id FROM (SELECT NEW.visitor_id AS s UNION SELECT NEW.consent_id)
        WHERE s IS NOT NULL AND NEW.id <= (SELECT upto FROM ck_subject_mark);
    END""",
]

SQLITE_FILE_SUBJECTS = """INSERT OR IGNORE INTO ck_event_subjects (subject, event_id)
  SELECT visitor_id, id FROM ck_events WHERE id > ?1 AND id <= ?2 AND visitor_id IS NOT NULL
  UNION ALL SELECT consent_id, id FROM ck_events WHERE id > ?1 AND id <= ?2 AND consent_id IS NOT NULL
  ORDER BY 1, 2"""
"""Files the ids of events (mark, upto] in key order: one pass over each index page they land on."""
