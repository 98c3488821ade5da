"""Checks on a store's internals that several test modules share."""

from __future__ import annotations

from consentkit.storage import Store


def assert_subject_file_exact(store: Store) -> None:
    """SQLite's subject file (`ck_event_subjects`) holds exactly the ids of the stored events it has
    filed: none of a deleted event or of an id since changed, none missing."""
    if store.dialect != "sqlite":
        return
    (mark,) = store.query("SELECT upto FROM ck_subject_mark")[0]
    expected = {
        (subject, event_id)
        for event_id, visitor, consent in store.query("SELECT id, visitor_id, consent_id FROM ck_events WHERE id <= ?",
                                                      [mark])
        for subject in (visitor, consent) if subject is not None
    }
    assert set(store.query("SELECT subject, event_id FROM ck_event_subjects")) == expected
