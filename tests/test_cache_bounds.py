"""Caches keyed by request headers stay bounded in bytes, whatever headers clients make up."""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consentkit import ConsentMiddleware
from consentkit.boundedcache import BoundedCache, key_bytes
from consentkit.consent import Choice, new_id
from raw_requests import asgi_call

from conftest import asgi_site, make_config

REQUESTS = 1200
BUDGET_MB = 30
"""What all of consentkit's caches may hold after REQUESTS requests of unique 8 KB headers.
Counted by entries alone they kept some 50 KB per request: about 65 MB here, and growing."""


def test_unique_large_headers_do_not_grow_the_caches_without_bound(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, trusted_proxies=["10.0.0.0/8"], collection={"queue_size": 100})
    mw = ConsentMiddleware(asgi_site(), config=cfg)
    engine = mw.engine
    choice = engine.codec.encode(Choice(new_id(), cfg.optional, cfg.policy_version, time.time()))
    pad = "x" * 8000

    def request(i: int) -> None:
        unique = f"{i:08d}{pad}"
        headers = [
            (b"host", b"testserver"), (b"cookie", f"ck_consent={choice}; junk{unique}=1".encode()),
            (b"user-agent", f"Mozilla/5.0 {unique}".encode()), (b"accept-language", f"de-{unique}".encode()),
            (b"x-forwarded-for", f"81.2.69.{i % 250}, {unique}".encode()), (b"forwarded", f"for={unique}".encode()),
            (b"referer", f"https://example.com/{unique}".encode()),
        ]
        assert asgi_call(mw, "GET", "/", headers).status == 200

    try:
        for i in range(50):
            request(i)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(50, 50 + REQUESTS):
            request(i)
        engine.writer.flush()
        gc.collect()
        grown = (tracemalloc.get_traced_memory()[0] - before) / 2**20
        tracemalloc.stop()
        assert grown < BUDGET_MB, f"{grown:.1f} MB"
    finally:
        engine.close()


def test_a_cache_is_bounded_by_the_bytes_of_its_keys() -> None:
    cache: BoundedCache[tuple[str, str], int] = BoundedCache(1000, max_bytes=100_000)
    for i in range(500):
        cache.put((f"{i}", "k" * 1000), i)
    assert cache.used_bytes <= 100_000 and len(cache) == 100_000 // key_bytes(("0", "k" * 1000))
    assert cache.get((f"{499}", "k" * 1000)) == 499 and cache.get(("0", "k" * 1000)) is None
    cache.put(("big", "k" * 200_000), 1)  # larger than the whole budget: never kept
    assert cache.get(("big", "k" * 200_000)) is None
    cache.put(("499", "k" * 1000), 7)  # put again: counted once
    assert cache.used_bytes <= 100_000 and cache.get(("499", "k" * 1000)) == 7
    cache.clear()
    assert cache.used_bytes == 0 and len(cache) == 0


_TEXT = st.one_of(st.text(max_size=40), st.binary(max_size=40))
_KEY = st.one_of(_TEXT, st.tuples(_TEXT, st.none() | _TEXT), st.tuples(st.integers(0, 3), st.tuples(_TEXT, _TEXT)))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(0, 400), st.lists(_KEY, max_size=40))
def test_a_cache_keeps_its_count_of_key_bytes_and_both_bounds(maxsize: int, max_bytes: int, keys: list[Any]) -> None:
    cache: BoundedCache[Any, int] = BoundedCache(maxsize, max_bytes=max_bytes)
    for i, key in enumerate(keys):
        cache.put(key, i)
        held = [k for k in keys[: i + 1] if cache.get(k) is not None]
        assert len(cache) <= maxsize and cache.used_bytes <= max_bytes
        assert cache.used_bytes == sum(key_bytes(k) for k in set(held))
        fits = maxsize > 0 and key_bytes(key) <= max_bytes
        assert (cache.get(key) == i) is fits
