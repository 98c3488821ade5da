"""What each cache on the request path saves: the cost of a hit beside the work it spares.

Run: .venv/bin/python benchmarks/caches.py [calls]
Each line times the same call on the same input twice in one process: through the cache as it
ships (a hit, after one warming call) and with that cache turned off or bypassed (the work done on a
miss). Median µs per call of 7 rounds, CPU time of this thread. docs/architecture.md quotes these
lines for each cache it keeps.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from consentkit import ConsentConfig
from consentkit.banner.texts import shown_fingerprint
from consentkit.chat.inject import ascii_codec
from consentkit.collect import language, referrer, useragent
from consentkit.collect.event import Enricher
from consentkit.collect.geo import GeoLookup
from consentkit.collect.ip import ClientAddress, address_text, keyed_hash, parse_ip
from consentkit.collect.paths import GlobSet
from consentkit.consent import Choice, ChoiceCodec, new_id
from consentkit.engine import Engine
from consentkit.exchange import Exchange
from consentkit.http import RequestView
from consentkit.keyedhash import KeyedHash
from consentkit.owners import CookieOwners

ROOT = Path(__file__).resolve().parents[1]
MAXMIND = ROOT / "tests" / "data" / "maxmind"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
CATS = frozenset({"necessary", "preferences", "analytics", "marketing", "chat"})


def per_call(fn: Callable[[], Any], n: int, rounds: int = 7) -> float:
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.thread_time()
        for _ in range(n):
            fn()
        times.append((time.thread_time() - t0) / n * 1e6)
    return statistics.median(times)


def main(n: int) -> None:
    cfg = ConsentConfig(secret_keys=["s" * 40], storage_url="sqlite://:memory:",
                        collection={"geoip_city_db": MAXMIND / "GeoIP2-City-Test.mmdb"})
    engine = Engine(cfg)
    choice = engine.codec.encode(Choice(new_id(), frozenset({"analytics"}), cfg.policy_version, time.time()))
    cookie = (f"ck_consent={choice}; ck_vid={engine.ids.sign('visitor', new_id())}; "
              f"ck_sid={engine.ids.sign('session', new_id())}; _ga=GA1.1.1234.5678; theme=dark")
    headers = {"cookie": cookie, "user-agent": UA, "accept-language": "de-DE,de;q=0.9,en;q=0.8",
               "host": "shop.example", "referer": "https://www.google.com/search?q=tea"}
    request = RequestView("GET", "/", "", headers, "81.2.69.142", "https")
    ex: Exchange = engine.begin(request)
    uncached_codec = ChoiceCodec(cfg.signing_keys, cfg.policy_version, 3600 * 24 * 395, CATS, cache_size=0)
    owners = CookieOwners([("analytics", ("_ga_*", "_hj*")), ("marketing", ("_gcl_*", "_fbp"))])
    no_owner_cache = CookieOwners([("analytics", ("_ga_*", "_hj*")), ("marketing", ("_gcl_*", "_fbp"))], cache_size=0)
    geo = GeoLookup(city_db=MAXMIND / "GeoIP2-City-Test.mmdb")
    no_geo_cache = GeoLookup(city_db=MAXMIND / "GeoIP2-City-Test.mmdb", cache_size=0)
    address = ClientAddress([], None)
    allowed = frozenset({"browser", "os", "device", "language", "ip", "geo"})
    enrich = Enricher(cfg.collection, address, geo, lambda: None)
    no_enrich_cache = Enricher(cfg.collection, address, no_geo_cache, lambda: None, size=0)
    globs = GlobSet(["/static/*", "*.css", "*.js", "/favicon.ico", "/admin/*"])
    no_globs_cache = GlobSet(["/static/*", "*.css", "*.js", "/favicon.ico", "/admin/*"], remember=0)
    salt = b"k" * 32
    rows: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("choice cookie verified (ChoiceCodec)", lambda: engine.codec.decode(choice),
         lambda: uncached_codec.decode(choice)),
        ("what a Cookie header decides (Engine)", lambda: engine.begin(request),
         lambda: engine._decide(request, ex.state.signals, time.time(), engine.rules)),
        ("cookie owner by glob (CookieOwners)", lambda: owners.owner("_ga_ABC123"),
         lambda: no_owner_cache.owner("_ga_ABC123")),
        ("user agent parsed", lambda: useragent.parse_user_agent(UA), lambda: useragent._parse(UA)),
        ("Accept-Language read", lambda: language.primary_language(headers["accept-language"]),
         lambda: language._primary.__wrapped__(headers["accept-language"])),
        ("referrer host classified", lambda: referrer._classify_host("www.google.com"),
         lambda: referrer._classify_host.__wrapped__("www.google.com")),
        ("visitor's constant event fields (Enricher)", lambda: enrich.constant(ex, allowed),
         lambda: no_enrich_cache.constant(ex, allowed)),
        ("GeoIP lookup", lambda: geo.lookup("81.2.69.142", want_location=True, want_network=False),
         lambda: no_geo_cache.lookup("81.2.69.142", want_location=True, want_network=False)),
        ("address parsed", lambda: parse_ip("2001:db8::1"), lambda: parse_ip.__wrapped__("2001:db8::1")),
        ("address written", lambda: address_text(parse_ip("2001:db8::1")),
         lambda: address_text.__wrapped__(parse_ip("2001:db8::1"))),
        ("static / excluded path (GlobSet)", lambda: globs.match("/products/green-tea"),
         lambda: no_globs_cache.match("/products/green-tea")),
        ("IP hash under the day's salt", lambda: keyed_hash(salt, b"81.2.69.142"),
         lambda: KeyedHash(salt).digest(b"81.2.69.142")),
        ("page charset checked (chat injection)", lambda: ascii_codec("utf-8"),
         lambda: ascii_codec.__wrapped__("utf-8")),
        ("shown texts' fingerprint of a choice (Engine)", lambda: engine.shown_hash("de", None),
         lambda: shown_fingerprint(cfg, "de", None)),
    ]
    print(f"{'cache (µs per call, median of 7 rounds of ' + str(n) + ')':<52}{'hit':>8}{'miss':>9}{'saved':>9}")
    for name, hit, miss in rows:
        h, m = per_call(hit, n), per_call(miss, max(n // 10, 10))
        print(f"{name:<52}{h:>8.2f}{m:>9.2f}{m - h:>9.2f}")
    fresh = new_id()
    issued = per_call(lambda: (engine.ids.sign("visitor", fresh), engine.ids.sign("session", fresh)), n)
    print(f"not a cache, for scale: ids issued to a new visitor (two signatures) {issued:.2f} µs")
    engine.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
