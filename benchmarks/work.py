"""How much work the ASGI middleware does per request, counted rather than timed.

Run: .venv/bin/python benchmarks/work.py            Python instructions and calls in consentkit
     .venv/bin/python benchmarks/work.py --machine  machine instructions of the whole request,
                                                    under valgrind (Debian's `valgrind`), ~2 minutes
Timings on a shared machine drift by 10-20% between sittings; counts do not, so two versions compare
across sittings: run this script against the other checkout with PYTHONPATH=<checkout>/src (it uses
only the public API). Python mode counts, over 200 requests after a warm-up, the bytecode
instructions executed in consentkit's own code and the calls into it, in the event loop's thread
(a consent POST's ledger write runs in a worker thread: machine mode counts it). Machine mode counts every
instruction of the request (the app, the interpreter, C code such as hashing and encoding; not the
writer thread, which stores nothing during the count) as the difference between two runs of 100 and
1,100 requests, beside the bare app: the ratio to it is what benchmarks/middleware.py times.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
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
WARM = 300
Case = tuple[Any, Callable[[int], dict[str, Any]], bytes]
"""An ASGI app, the scope of request i, and the request body."""


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


def serve(case: Case, first: int, n: int, loop: asyncio.AbstractEventLoop) -> None:
    """Requests `first` to `first + n` of `case`, one after the other in one task, as a server's
    connection would have them (not one event-loop run each, which would cost more than the app)."""
    app, make, body = case

    async def many() -> None:
        for i in range(first, first + n):
            await call(app, make(i), body)

    loop.run_until_complete(many())


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


def returning_cookie(app: ConsentMiddleware, common: list[tuple[bytes, bytes]], post: dict[str, Any]) -> bytes:
    """The Cookie header of a visitor who accepted everything and came back once: made through the
    consent endpoint and a page, as a browser gets it."""
    loop = asyncio.new_event_loop()
    jar = set_cookies(loop.run_until_complete(call(app, post, json.dumps({"action": "accept_all"}).encode())))
    header = "; ".join(f"{k}={v}" for k, v in jar.items()).encode()
    jar |= set_cookies(loop.run_until_complete(call(app, scope([*common, (b"cookie", header)]))))
    loop.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items()).encode() + b"; _ga=GA1.1.123.456"


def cases() -> dict[str, Case]:
    tmp = Path(tempfile.mkdtemp(prefix="ck-work-"))
    geo = {}
    if MAXMIND.exists():
        geo = {"geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb", "geoip_asn_db": MAXMIND / "GeoLite2-ASN-Test.mmdb"}
    keys = {"secret_keys": ["b" * 40]}
    # The writer stores nothing while requests are counted: its thread would be counted too.
    quiet = {"flush_interval_ms": 600_000, "batch_size": 100_000, "queue_size": 1_000_000}
    full = ConsentMiddleware(bare_app(), config=ConsentConfig(
        **keys, storage_url=f"sqlite:///{tmp / 'full.db'}", collection={"ip_mode": "hash", **geo, **quiet}))
    none = ConsentMiddleware(bare_app(), config=ConsentConfig(
        **keys, storage_url=f"sqlite:///{tmp / 'none.db'}", collection={"enabled": False}))
    common = [(b"host", b"example.com"), (b"user-agent", UA.encode()), (b"accept", b"text/html"),
              (b"accept-language", b"en-GB,en;q=0.9"), (b"referer", b"https://www.google.com/search?q=x")]
    post = scope([(b"host", b"example.com"), (b"origin", b"https://example.com"),
                  (b"content-type", b"application/json"), *common[1:]], method="POST", path="/_consent")
    cookie = returning_cookie(full, common, post)
    returning = scope([*common, (b"cookie", cookie)])
    rng = random.Random(7)

    def unseen(i: int) -> dict[str, Any]:
        ua = UA.replace("130.0", f"{100 + i % 50}.{i}.{rng.randrange(10**6)}").encode()
        ip = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        return scope([(b"host", b"example.com"), (b"user-agent", ua), (b"accept-language", b"de-DE"),
                      (b"cookie", cookie)], client=ip)

    # Made before any request, as many for every run, so that making them is never counted.
    strangers = [unseen(i) for i in range(WARM + 1100 + 50)]

    return {
        "bare Starlette app": (bare_app(), lambda i: returning, b""),
        "returning visitor, no collection": (none, lambda i: returning, b""),
        "returning visitor, full collection+geo": (full, lambda i: returning, b""),
        "new visitor (no cookie), full collection": (full, lambda i: scope(common), b""),
        "unseen UA + IP, full collection+geo": (full, lambda i: strangers[i % len(strangers)], b""),
        "consent POST (durable ledger write)": (full, lambda i: post, b'{"action":"accept_all"}'),
    }


def python_counts() -> None:
    print(f"{'case (per request)':<50}{'instructions':>13}{'calls':>8}")
    starlette = str(Path(sys.modules["starlette"].__file__ or "").parent)
    for name, case in cases().items():
        loop = asyncio.new_event_loop()
        serve(case, 0, 50, loop)  # warm every cache the steady state has warm
        counter = Counter(starlette if case[0].__class__ is not ConsentMiddleware else PACKAGE)
        sys.settrace(counter.trace)
        try:
            serve(case, 50, REQUESTS, loop)
        finally:
            sys.settrace(None)
            loop.close()
        label = f"{name} (its own code, for scale)" if counter.root == starlette else name
        print(f"{label:<50}{counter.ops / REQUESTS:13.0f}{counter.calls / REQUESTS:8.1f}")
    print(f"consentkit {getattr(consentkit, '__version__', '?')} at {PACKAGE}: bytecode instructions executed "
          f"in its code and calls into it, mean of {REQUESTS} requests after 50 to warm up")


def machine_counts() -> None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("--machine needs valgrind (Debian: apt-get install valgrind)")
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same hashes, the same dict probes, every run

    def refs(name: str, n: int) -> int:
        out = subprocess.run([valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                              sys.executable, __file__, "--serve", name, str(n)],
                             env=env, capture_output=True, text=True, check=True).stderr
        found = re.search(r"I\s+refs:\s+([\d,]+)", out)
        if found is None:
            raise RuntimeError(f"no instruction count in valgrind's output:\n{out[-2000:]}")
        return int(found.group(1).replace(",", ""))

    lo, hi = 100, 1100
    print(f"{'case (per request)':<50}{'instructions':>13}{'ratio to bare':>15}")
    bare = 0.0
    for name in cases():
        per = (refs(name, hi) - refs(name, lo)) / (hi - lo)
        bare = bare or per
        print(f"{name:<50}{per:13,.0f}{per / bare:15.3f}")
    print(f"consentkit at {PACKAGE}: machine instructions of a whole request under valgrind "
          f"(runs of {lo} and {hi} requests after {WARM} to warm up, their difference)")


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:  # one run for machine_counts, under valgrind
        case = cases()[sys.argv[2]]
        loop = asyncio.new_event_loop()
        serve(case, 0, WARM + int(sys.argv[3]), loop)
        os._exit(0)  # no engine shutdown: storing the queued events would be counted
    if sys.argv[1:2] == ["--machine"]:
        machine_counts()
    else:
        python_counts()


if __name__ == "__main__":
    main()
