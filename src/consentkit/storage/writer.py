"""The background writer: requests hand events to a bounded queue and never wait on storage."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from typing import Any

from consentkit.clock import today
from consentkit.storage.base import REFUSED, Store, storable
from consentkit.storage.rollups import RollupKeeper

log = logging.getLogger("consentkit.writer")


class Writer:
    """Batches events and counters into the store from one daemon thread per process.

    A full queue drops the newest event and counts it (or waits at most `block_ms` first), so memory
    never grows without bound. A failing store loses the batch (counted, logged) and is retried with
    the next one; pages are never affected.
    """

    def __init__(
        self,
        store: Store,
        *,
        queue_size: int = 10_000,
        batch_size: int = 500,
        interval_s: float = 1.0,
        full_queue: str = "drop",
        block_ms: int = 5,
    ) -> None:
        self.store = store
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.block_s = block_ms / 1000 if full_queue == "block" else 0.0
        self._events: deque[dict[str, Any] | tuple[Any, ...]] = deque()
        # Summed by the writer thread alone (under _write_lock): a slow store never loses a count.
        self._counts: dict[tuple[str, str, str], int] = {}
        self._tallies: deque[str] = deque()  # metric, key, metric, key… of today, summed by the thread
        self._thread: threading.Thread | None = None
        self.rollups = RollupKeeper(store)
        """Builds the daily rollups of the days this writer wrote events for, once each is over."""
        self._new_locks()
        self._atexit = False
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self._last_warning = 0.0
        _WRITERS.add(self)

    def _new_locks(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time: the thread, or a final flush

    def _forked(self) -> None:
        """In a forked child: the parent's queue is the parent's to write, and its thread is gone."""
        self._events = deque()
        self._counts = {}
        self._tallies = deque()
        self._thread = None
        self.rollups.forget()
        self._new_locks()  # a lock another thread held at fork time would never be released here

    # -- producer side (hot path) -----------------------------------------------------------------
    def submit(self, event: dict[str, Any] | tuple[Any, ...]) -> bool:
        """Queue an event, or `(make, *args)` for the writer thread to make it with: what can wait
        for the thread is then not done while a page is served. False when the queue is full."""
        if self._thread is None:
            self.start()
        events = self._events
        if len(events) >= self.queue_size:
            deadline = time.monotonic() + self.block_s
            while len(events) >= self.queue_size and time.monotonic() < deadline:
                self._wake.set()
                time.sleep(0.0005)
            if len(events) >= self.queue_size:
                self.dropped += 1
                self._tallies.extend(("events.dropped", "queue_full"))
                return False
        events.append(event)
        if len(events) == self.batch_size:
            self._wake.set()
        return True

    def tally(self, metric: str, key: str) -> None:
        """Count one (metric, key) today. No lock: one `extend` is atomic. Only strings wait in the
        queue, so the garbage collector has nothing more to track meanwhile. The thread sums tallies
        into the day it is when it does, within a flush interval."""
        if self._thread is None:
            self.start()
        self._tallies.extend((metric, key))

    @property
    def pending(self) -> int:
        """Events queued and not yet stored."""
        return len(self._events)

    @property
    def pending_counts(self) -> int:
        """Counts not yet stored: tallies still queued, and sums made of earlier ones."""
        return len(self._tallies) // 2 + len(self._counts)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing is stored while inside: submit and tally only queue (a queue that fills up drops,
        as it would behind a slow store). What was queued is stored after."""
        with self._write_lock:
            yield

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether this process's writer thread is alive."""
        t = self._thread
        return t is not None and t.is_alive()

    def start(self) -> None:
        """Start the thread; called lazily by the first submit (again in a forked child)."""
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="consentkit-writer", daemon=True)
            self._thread.start()
            if not self._atexit:
                atexit.register(self.stop)
                self._atexit = True

    def stop(self, timeout: float = 10.0) -> None:
        """Flush everything queued and stop the thread."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is not None and t.is_alive() and t is not threading.current_thread():
            t.join(timeout)
        self.flush()

    def flush(self) -> None:
        with self._write_lock:
            while self._events:
                self._write_batch()
                self._sum_tallies()  # kept summed while a slow store works through a backlog
            self._write_counts()

    # -- consumer side ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            self.flush()
            self.rollups.close_due()

    def _write_batch(self) -> None:
        batch: list[dict[str, Any]] = []
        add = batch.append
        pop = self._events.popleft
        unmade = 0
        try:
            for _ in range(self.batch_size):
                e = pop()
                if isinstance(e, tuple):
                    try:
                        e = e[0](*e[1:])
                    except Exception as exc:  # noqa: BLE001 - one bad event must not stop the thread
                        unmade += 1
                        self._warn(f"dropped an event that could not be made: {exc!r}")
                        continue
                add(e)
        except IndexError:
            pass
        if unmade:
            self.failures += unmade
            self.dropped += unmade
            self._lost("unmade", unmade)
        if batch:
            self._store(batch)
            self.rollups.wrote(batch)

    def _store(self, batch: list[dict[str, Any]]) -> None:
        try:
            self.store.write_events(batch)
            self.written += len(batch)
        except REFUSED as exc:
            # Some events hold what the store cannot take: halves are written apart until only
            # those are left, so that one odd request never costs the others theirs; each is
            # tried once more with U+FFFD for what no engine stores as text (NUL, lone surrogates).
            if len(batch) > 1:
                half = len(batch) // 2
                self._store(batch[:half])
                self._store(batch[half:])
                return
            reason = str(exc)
            mended = _storable(batch[0])
            if mended is not None:
                try:
                    self.store.write_events([mended])
                    self.written += 1
                    return
                except Exception as again:  # noqa: BLE001
                    reason = str(again)
            self.failures += 1
            self.dropped += 1
            self._lost("refused", 1)
            self._warn(f"dropped an event the store refused: {reason}")
        except Exception as exc:  # noqa: BLE001 - a broken store must never take the site down
            self.failures += 1
            self.dropped += len(batch)
            self._lost("store_failed", len(batch))
            self._warn(f"dropped {len(batch)} events: store failed: {exc}")

    def _lost(self, reason: str, n: int) -> None:
        """Count events lost after they were queued (`consentkit stats` shows them): summed straight
        into today's counters, by the thread that holds `_write_lock`. Lost again if the store
        cannot take counters either; the log warning remains."""
        key = (today(), "events.failed", reason)
        self._counts[key] = self._counts.get(key, 0) + n

    def _sum_tallies(self) -> None:
        tallies = self._tallies
        if not tallies:
            return
        day = today()
        pop = tallies.popleft
        counts = self._counts
        for _ in range(len(tallies) // 2):  # those there now: producers may keep appending
            k = (day, pop(), pop())
            counts[k] = counts.get(k, 0) + 1

    def _write_counts(self) -> None:
        self._sum_tallies()
        counts, self._counts = self._counts, {}
        if not counts:
            return
        try:
            self.store.add_counts(counts)
        except Exception as exc:  # noqa: BLE001
            self.failures += 1
            self._warn(f"dropped {len(counts)} counters: store failed: {exc}")

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning > 10:  # one warning per 10 s, not one per batch
            self._last_warning = now
            log.warning("consentkit: %s", message)


def _storable(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event with its text made `storable`; None when that changes nothing."""
    mended = {k: storable(v) if v.__class__ is str else v for k, v in event.items()}
    return None if mended == event else mended


_WRITERS: weakref.WeakSet[Writer] = weakref.WeakSet()


def _after_fork() -> None:
    for writer in list(_WRITERS):
        writer._forked()


os.register_at_fork(after_in_child=_after_fork)
