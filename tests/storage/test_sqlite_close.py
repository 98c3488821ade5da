"""Closing a SQLite store while other threads are running statements on it (a server shutting down
while a request records a choice, the background writer building a day's rollups)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from consentkit.storage.sqlite import SQLiteStore
    from consentkit.storage import StoreError

    store = SQLiteStore(sys.argv[1])
    store.migrate()
    busy = threading.Event()
    outcome = []

    def slow(events: bool) -> None:
        try:
            with (store.events_connection() if events else store.connection()) as conn:
                busy.set()
                conn.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
                    "SELECT COUNT(*) FROM n"
                ).fetchone()
            outcome.append("finished")
        except StoreError:
            outcome.append("refused")

    for events in (False, True):
        busy.clear()
        t = threading.Thread(target=slow, args=(events,))
        t.start()
        busy.wait()
        store.close()  # while the statement runs
        t.join()
    store.write_events([])  # usable again: a new connection
    print(" ".join(outcome))
    """
)


def test_closing_waits_for_statements_running_in_other_threads(tmp_path: Path) -> None:
    """Closing a connection that another thread is running a statement on crashes the process
    (a segmentation fault inside SQLite): the store closes each one once it is free."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "ck.db")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["finished", "finished"]
