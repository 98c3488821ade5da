"""The daily salt of keyed IP hashes: random, stable for a day, shared by processes, deleted in time."""

from __future__ import annotations

from consentkit.collect.salt import KEEP_PREVIOUS_FOR, ROTATE_AFTER, DailySalt, MemorySaltStore

HOUR = 3600.0


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_daily_salt_is_random_and_stable_within_a_day() -> None:
    clock = Clock()
    store = MemorySaltStore()
    salt = DailySalt(store, clock)
    first = salt.current()
    assert len(first) == 32
    clock.now += ROTATE_AFTER - 1
    assert salt.current() == first
    other_store = MemorySaltStore()
    assert DailySalt(other_store, Clock()).current() != first


def test_daily_salt_rotates_and_deletes_old_salts() -> None:
    clock = Clock()
    start = clock.now
    store = MemorySaltStore()
    salt = DailySalt(store, clock)
    day0 = salt.current()
    clock.now = start + ROTATE_AFTER
    day1 = salt.current()
    assert day1 != day0
    assert {s for _, s in store.load_salts()} == {day0, day1}
    clock.now = start + 2 * ROTATE_AFTER
    day2 = salt.current()
    # day0 stopped being current one day ago: still kept
    assert {s for _, s in store.load_salts()} == {day0, day1, day2}
    clock.now = start + ROTATE_AFTER + KEEP_PREVIOUS_FOR
    day3 = salt.current()
    # day0 stopped being current 48 h ago: gone; day1 stopped 24 h ago: kept
    assert {s for _, s in store.load_salts()} == {day1, day2, day3}
    assert len({day0, day1, day2, day3}) == 4


def test_daily_salt_after_an_idle_gap() -> None:
    clock = Clock()
    store = MemorySaltStore()
    salt = DailySalt(store, clock)
    old = salt.current()
    clock.now += ROTATE_AFTER + KEEP_PREVIOUS_FOR + 1
    new = salt.current()
    assert new != old
    assert [s for _, s in store.load_salts()] == [new]


def test_daily_salt_instances_share_one_store() -> None:
    clock = Clock()
    store = MemorySaltStore()
    first, second = DailySalt(store, clock), DailySalt(store, clock)
    assert first.current() == second.current()
    clock.now += ROTATE_AFTER + 1
    rotated = second.current()
    assert first.current() == rotated
    assert len(store.load_salts()) == 2


def test_daily_salt_processes_rotating_at_once_agree() -> None:
    store = MemorySaltStore()
    store.add_salt(1000.0, b"a" * 32)
    store.add_salt(1000.5, b"b" * 32)
    assert DailySalt(store, Clock(1001.0)).current() == b"a" * 32
    assert DailySalt(store, Clock(1000.0 + ROTATE_AFTER - 1)).current() == b"a" * 32
    # when "a" expires its twin "b" does not take over for the half second it has left
    later = DailySalt(store, Clock(1000.0 + ROTATE_AFTER + 0.25)).current()
    assert later not in (b"a" * 32, b"b" * 32)


def test_daily_salt_reads_the_store_only_when_due() -> None:
    class CountingStore(MemorySaltStore):
        loads = 0

        def load_salts(self) -> list[tuple[float, bytes]]:
            self.loads += 1
            return super().load_salts()

    clock = Clock()
    store = CountingStore()
    salt = DailySalt(store, clock)
    salt.current()
    loads = store.loads
    for _ in range(100):
        clock.now += HOUR / 10
        salt.current()
    assert store.loads == loads


# -- is_global: the bisect over ipaddress's own networks agrees with ipaddress ----------------------
