"""How much Python the ASGI middleware runs per request: bytecode instructions and calls, counted.

Run: .venv/bin/python benchmarks/work.py
Timings on a shared machine drift by 10-20% between sittings; these counts do not drift at all, so
two versions can be compared in different sittings (run this script against the other checkout with
PYTHONPATH pointing at its src/; it uses only the public API). Each case counts, over 200 requests
after a warm-up, the instructions executed in consentkit's own code and the calls into it, beside
the same counts for the bare Starlette app it wraps. What runs in C (hashing, SQLite, the standard
library's C parts) is not counted, nor the writer thread: benchmarks/middleware.py times the whole.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from middleware import MAXMIND, UA, bare_app, scope

import consentkit
from consentkit import ConsentConfig, ConsentMiddleware

PACKAGE = str(Path(consentkit.__file__).resolve().parent)
REQUESTS = 200


class Counter:
    """Instructions and calls in frames whose code lives under `root`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.ops = 0
        self.calls = 0

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(self.root):
            return None
        self.calls += 1
        frame.f_trace_opcodes = True
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            self.ops += 1
        return self._local


async def call(app: Any, s: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(s), receive, send)
    return sent


def count(app: Any, make: Callable[[int], dict[str, Any]], root: str, body: bytes = b"") -> tuple[float, float]:
    loop = asyncio.new_event_loop()
    for i in range(50):  # warm every cache the steady state has warm
        loop.run_until_complete(call(app, make(i), body))
    counter = Counter(root)
    sys.settrace(counter.trace)
    try:
        for i in range(REQUESTS):
            loop.run_until_complete(call(app, make(50 + i), body))
    finally:
        sys.settrace(None)
        loop.close()
    return counter.ops / REQUESTS, counter.calls / REQUESTS


def set_cookies(messages: list[dict[str, Any]]) -> dict[str, str]:
    start = next(m for m in messages if m["type"] == "http.response.start")
    out = {}
    for k, v in start["headers"]:
        if k.lower() == b"set-cookie":
            name, _, rest = v.decode("latin-1").partition("=")
            value = rest.split(";", 1)[0]
            if value:
                out[name] = value
    return out


def returning_cookie(app: ConsentMiddleware, common: list[tuple[bytes, bytes]]) -> bytes:
    """The Cookie header of a visitor who accepted everything and came back once: made through the
    consent endpoint and a page, as a browser gets it."""
    post = scope([(b"host", b"example.com"), (b"origin", b"https://example.com"),
                  (b"content-type", b"application/json"), *common[1:]], method="POST", path="/_consent")
    loop = asyncio.new_event_loop()
    jar = set_cookies(loop.run_until_complete(call(app, post, json.dumps({"action": "accept_all"}).encode())))
    header = "; ".join(f"{k}={v}" for k, v in jar.items()).encode()
    jar |= set_cookies(loop.run_until_complete(call(app, scope([*common, (b"cookie", header)]))))
    loop.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items()).encode() + b"; _ga=GA1.1.123.456"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ck-work-"))
    geo = {}
    if MAXMIND.exists():
        geo = {"geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb", "geoip_asn_db": MAXMIND / "GeoLite2-ASN-Test.mmdb"}
    keys = {"secret_keys": ["b" * 40]}
    full = ConsentMiddleware(bare_app(), config=ConsentConfig(
        **keys, storage_url=f"sqlite:///{tmp / 'full.db'}", collection={"ip_mode": "hash", **geo}))
    bare_config = ConsentConfig(**keys, storage_url=f"sqlite:///{tmp / 'none.db'}", collection={"enabled": False})
    none = ConsentMiddleware(bare_app(), config=bare_config)
    common = [(b"host", b"example.com"), (b"user-agent", UA.encode()), (b"accept", b"text/html"),
              (b"accept-language", b"en-GB,en;q=0.9"), (b"referer", b"https://www.google.com/search?q=x")]
    cookie = returning_cookie(full, common)
    returning = scope([*common, (b"cookie", cookie)])
    rng = random.Random(7)

    def unseen(i: int) -> dict[str, Any]:
        ua = UA.replace("130.0", f"{100 + i % 50}.{i}.{rng.randrange(10**6)}").encode()
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        return scope([(b"host", b"example.com"), (b"user-agent", ua), (b"accept-language", b"de-DE"),
                      (b"cookie", cookie)], client=ip)

    bare = bare_app()
    b_ops, b_calls = count(bare, lambda i: returning, str(Path(sys.modules["starlette"].__file__ or "").parent))
    print(f"{'case (per request)':<50}{'instructions':>13}{'calls':>8}")
    print(f"{'bare Starlette app (its own code), for scale':<50}{b_ops:13.0f}{b_calls:8.1f}")
    cases: list[tuple[str, Any, Callable[[int], dict[str, Any]]]] = [
        ("returning visitor, no collection", none, lambda i: returning),
        ("returning visitor, full collection+geo", full, lambda i: returning),
        ("new visitor (no cookie), full collection", full, lambda i: scope(common)),
        ("unseen UA + IP, full collection+geo", full, unseen),
    ]
    for name, app, make in cases:
        ops, calls = count(app, make, PACKAGE)
        print(f"{name:<50}{ops:13.0f}{calls:8.1f}")
    print(f"consentkit {getattr(consentkit, '__version__', '?')} at {PACKAGE}; instructions executed in its code "
          f"and calls into it, mean of {REQUESTS} requests after 50 to warm up")
    full.engine.close()
    none.engine.close()


if __name__ == "__main__":
    main()
